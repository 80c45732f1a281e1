/* The guide's own behaviour: first-party, no library, nothing loaded from elsewhere.
   - "Skip to content" goes to the page title. The title comes from our template, not from the page's
     Markdown, so Material's link would skip it and the "Last updated" line under it.
   - "Was this page helpful?" posts {page, helpful, version, title, path} as JSON to the endpoint
     in extra.feedback_endpoint. The form is only in the page when one is configured, and stays
     hidden until this script has wired it.
   Material's instant navigation swaps pages without reloading, so both run on every document$
   once Material has started. */
(function () {
  "use strict";

  // The skip link moves focus itself rather than leaving it to the browser's fragment navigation,
  // which Material's instant navigation may take over (also while its bundle is starting up).
  function skipToTitle(event) {
    var title = document.getElementById("page-title");
    if (!title) return;
    event.preventDefault();
    title.focus({ preventScroll: true });
    title.scrollIntoView();
  }

  function pointSkipLinkAtTitle() {
    var skip = document.querySelector(".md-skip");
    if (!skip || !document.getElementById("page-title")) return;
    skip.setAttribute("href", "#page-title");
    if (!skip.dataset.wired) {
      skip.dataset.wired = "1";
      skip.addEventListener("click", skipToTitle);
    }
  }

  function send(form, helpful) {
    var body = {
      page: form.dataset.page,
      helpful: helpful,
      version: form.dataset.version ? Number(form.dataset.version) : null,
      title: document.title,
      path: location.pathname
    };
    return fetch(form.dataset.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      keepalive: true
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
    });
  }

  function wireFeedback() {
    var form = document.querySelector("[data-guide-feedback]");
    if (!form || form.dataset.wired) return;
    form.dataset.wired = "1";
    var fieldset = form.querySelector("fieldset");
    var status = form.querySelector(".guide-feedback__status");
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    Array.prototype.forEach.call(form.querySelectorAll("[data-helpful]"), function (button) {
      button.addEventListener("click", function () {
        fieldset.disabled = true;
        button.setAttribute("aria-pressed", "true");
        status.textContent = "Sending…";
        send(form, button.dataset.helpful === "yes").then(
          function () {
            status.textContent = "Thanks for telling us.";
            form.dataset.sent = "1";
          },
          function () {
            status.textContent = "Sorry, your answer could not be sent. Try again later.";
            button.removeAttribute("aria-pressed");
            fieldset.disabled = false;
          }
        );
      });
    });
    form.hidden = false;
  }

  function init() {
    pointSkipLinkAtTitle();
    wireFeedback();
  }

  // Material's bundle starts at the reader's first action (overrides/partials/bundle-on-first-use.html),
  // after this script: wire the page now, then again on every page instant navigation brings.
  function followMaterial() {
    if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(init);
  }

  if (window.document$) {
    followMaterial();
  } else {
    document.addEventListener("guide:material", followMaterial, { once: true });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
    else init();
  }
})();
