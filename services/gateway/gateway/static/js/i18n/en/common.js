// English texts shared by the translated pages.
export default {
  "common.language": "Language",
  "common.next": "Next",
  "common.previous": "Previous",
  "common.retry": "Retry",
  "common.cancel": "Cancel",
  "common.offline": "Offline",
  "common.online": "Online",
};
