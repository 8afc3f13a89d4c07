// Translations for the pages guardians, reviewers and admins use (field upload, review queue,
// models).
//
// Catalogues are ES modules, one per language and page area: i18n/<lang>/<area>.js, each
// exporting a flat {key: text} object. Texts may hold {name} placeholders. A key missing
// in a language falls back to English, then to the key itself (tests check that every
// catalogue has the same keys as English). The choice is remembered in localStorage.
import common_en from "./i18n/en/common.js";
import common_ne from "./i18n/ne/common.js";

export const LANGUAGES = { en: "English", ne: "नेपाली" };
// The locale dates are written in per language (Nepali month names and digits for ne).
const LOCALES = { en: undefined, ne: "ne-NP" };
const STORAGE_KEY = "ailurus.lang";
const CATALOGUES = { en: { ...common_en }, ne: { ...common_ne } };
const listeners = new Set();

function stored() {
  try {
    const lang = localStorage.getItem(STORAGE_KEY);
    return lang in LANGUAGES ? lang : null;
  } catch {
    return null;  // storage blocked: the default for this visit
  }
}

function initialLanguage() {
  const browser = (navigator.language || "en").slice(0, 2);
  return stored() || (browser in LANGUAGES ? browser : "en");
}

let language = initialLanguage();
document.documentElement.lang = language;

/** Add an area's catalogues (e.g. the review page's): {en: {...}, ne: {...}}. */
export function register(catalogues) {
  for (const [lang, texts] of Object.entries(catalogues)) Object.assign(CATALOGUES[lang] ||= {}, texts);
}

/** The text for key in the current language, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const text = CATALOGUES[language]?.[key] ?? CATALOGUES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function currentLanguage() {
  return language;
}

/** The locale for toLocaleString in the current language (undefined: the browser's own). */
export function locale() {
  return LOCALES[language];
}

/** Switch language, remember it, and tell the pages that draw text (they re-render). */
export function setLanguage(lang) {
  if (!(lang in LANGUAGES) || lang === language) return;
  language = lang;
  document.documentElement.lang = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* not remembered, still switched */ }
  for (const fn of listeners) fn(lang);
}

/** Call fn(lang) after each switch; returns the function that stops it. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A <select> that switches the language. */
export function languageSelect(document_ = document) {
  const select = document_.createElement("select");
  select.className = "form-select form-select-sm w-auto";
  select.setAttribute("aria-label", t("common.language"));
  select.dataset.testid = "language";
  for (const [lang, name] of Object.entries(LANGUAGES)) {
    const option = document_.createElement("option");
    option.value = lang;
    option.textContent = name;
    option.selected = lang === language;
    select.append(option);
  }
  select.addEventListener("change", () => setLanguage(select.value));
  return select;
}
