// Progressive enhancement for questionnaires; the form works without it.
// - On a phone, answering a question brings the next one into view (one per screen).
// - The submit button is disabled after the first click, so a double click sends once
//   (the server refuses a second submission in any case).
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  if (!form) { return; }
  var phone = window.matchMedia("(max-width: 40rem)");
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
  questions.forEach(function (fieldset, index) {
    fieldset.addEventListener("change", function (event) {
      if (!phone.matches || event.target.type !== "radio") { return; }
      var next = questions[index + 1] || form.querySelector(".questionnaire__submit");
      if (next) {
        next.scrollIntoView({ behavior: "smooth", block: "start" });
        var first = next.querySelector("input, textarea, button");
        if (first) { first.focus({ preventScroll: true }); }
      }
    });
  });
  form.addEventListener("submit", function () {
    var button = form.querySelector("[data-submit-once]");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
})();
