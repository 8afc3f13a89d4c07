// नेपाली: the guardians' language. Texts shared by the translated pages.
export default {
  "common.language": "भाषा",
  "common.next": "अर्को",
  "common.previous": "अघिल्लो",
  "common.retry": "फेरि प्रयास गर्नुहोस्",
  "common.cancel": "रद्द गर्नुहोस्",
  "common.offline": "अफलाइन",
  "common.online": "अनलाइन",
};
