// Sign-in: a password form in local mode, "Sign in with Microsoft" (MSAL redirect) with Entra ID.
import { session, signInEntra, signInLocal } from "../auth.js";
import { alertBox, h } from "../dom.js";

export async function render(root, { navigate }) {
  const card = h("div", { class: "card shadow-sm signin-card mx-auto mt-3 mt-md-5" });
  const body = h("div", { class: "card-body p-4" },
    h("div", { class: "text-center mb-3" },
      h("img", { src: "/static/img/favicon.svg", alt: "", width: 56, height: 56 }),
      h("h1", { class: "h4 mt-2 mb-0" }, "Ailurus"),
      h("p", { class: "text-muted small mb-0" }, "Camera-trap images for the red panda network")));
  card.append(body);
  root.append(card);
  const message = h("div");
  const next = () => {
    const target = sessionStorage.getItem("ailurus.next");
    sessionStorage.removeItem("ailurus.next");
    navigate(target && !target.startsWith("#/signin") ? target : "#/map");
  };

  if (session.config.mode === "entra") {
    const button = h("button", { class: "btn btn-primary w-100", type: "button", id: "signin-entra" },
      "Sign in with Microsoft");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await signInEntra();  // leaves the page; MSAL brings the user back here signed in
      } catch (error) {
        button.disabled = false;
        message.replaceChildren(alertBox("danger", error.message));
      }
    });
    body.append(message, button);
    return;
  }

  const username = h("input", { class: "form-control", id: "signin-username", name: "username",
    autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { class: "form-control", id: "signin-password", name: "password", type: "password",
    autocomplete: "current-password", required: true });
  const submit = h("button", { class: "btn btn-primary w-100", type: "submit" }, "Sign in");
  const form = h("form", { id: "signin-form", novalidate: false },
    h("div", { class: "mb-3" }, h("label", { class: "form-label", for: username.id }, "User name"), username),
    h("div", { class: "mb-3" }, h("label", { class: "form-label", for: password.id }, "Password"), password),
    message, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.replaceChildren();
    try {
      await signInLocal(username.value.trim(), password.value);
      next();
    } catch (error) {
      const text = error.code === "invalid_credentials" ? "Wrong user name or password." : error.message;
      message.replaceChildren(alertBox("danger", text));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  body.append(form);
  username.focus();
}
