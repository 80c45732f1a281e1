/* "Was this page helpful?": posts {page, helpful} as JSON to the configured endpoint.
   The form is only in the page when an endpoint is configured; it stays hidden without JavaScript. */
(function () {
  function wire() {
    var form = document.querySelector("[data-guide-feedback]");
    if (!form || form.dataset.wired) return;
    form.dataset.wired = "1";
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var helpful = event.submitter ? event.submitter.value : "yes";
      fetch(form.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ page: location.pathname, title: document.title, helpful: helpful === "yes" })
      }).catch(function () {});
      form.querySelector("fieldset").disabled = true;
      form.querySelector(".guide-feedback__thanks").hidden = false;
    });
  }
  if (window.document$) { window.document$.subscribe(wire); } else { document.addEventListener("DOMContentLoaded", wire); }
})();
