// The taxonomy groups (ailurus_common.domain.Group), their display names and colours.
import { h } from "./dom.js";

export const GROUPS = ["red_panda", "giant_panda", "mammal", "bird", "reptile", "human", "vehicle", "other", "blank"];

export const GROUP_COLORS = {
  red_panda: "#c1440e", giant_panda: "#343a40", mammal: "#8d6e3f", bird: "#1f77b4", reptile: "#2ca02c",
  human: "#9467bd", vehicle: "#7f7f7f", other: "#e0a100", blank: "#b8c2cc",
};

export function groupName(group) {
  return group ? String(group).replaceAll("_", " ") : "unlabelled";
}

export function groupBadge(group) {
  const known = GROUPS.includes(group) ? group : "none";
  return h("span", { class: `badge group-badge g-${known}`, dataset: { group: group || "" } }, groupName(group));
}

/** `<option>`s for a group `<select>`; `blankOption` adds an "any" choice first. */
export function groupOptions(selected, { blankOption = null, groups = GROUPS } = {}) {
  const options = blankOption === null ? [] : [h("option", { value: "" }, blankOption)];
  for (const g of groups) options.push(h("option", { value: g, selected: g === selected }, groupName(g)));
  return options;
}
