// Progressive enhancement for questionnaires; the form works without it.
// - On a phone, choosing an answer (a tap, a click, Space or Enter) brings the next
//   question into view (one per screen). Arrow keys only move the choice within one
//   question, as every radio group does: they never count as "answered, go on", or two
//   presses would answer questions the person never chose.
// - Sending with a required question unanswered marks and focuses the first one only,
//   with its message, instead of turning every question red at once (the server checks
//   again and lists what is missing when this script does not run).
// - The submit button is disabled after the first click, so a double click sends once
//   (the server refuses a second submission in any case).
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  if (!form) { return; }
  var phone = window.matchMedia("(max-width: 40rem)");
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
  var ARROWS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Up", "Down", "Left", "Right"];
  var movedByArrow = false;

  function advanceFrom(index) {
    if (!phone.matches) { return; }
    var next = questions[index + 1] || form.querySelector(".questionnaire__submit");
    if (!next) { return; }
    next.scrollIntoView({ behavior: "smooth", block: "start" });
    var first = next.querySelector("input, textarea, button");
    if (first) { first.focus({ preventScroll: true }); }
  }

  function answered(fieldset) {
    var fields = fieldset.querySelectorAll("input, textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].type === "radio" ? fields[i].checked : fields[i].value.trim() !== "") {
        return true;
      }
    }
    return false;
  }

  function clearMark(fieldset) {
    fieldset.classList.remove("question--invalid");
    var message = fieldset.querySelector("[data-client-error]");
    if (message) { message.parentNode.removeChild(message); }
  }

  questions.forEach(function (fieldset, index) {
    fieldset.addEventListener("keydown", function (event) {
      movedByArrow = ARROWS.indexOf(event.key) !== -1;
      if (event.key === "Enter" && event.target.type === "radio") {
        // Enter on an answer chooses it and goes on, rather than sending the whole form.
        event.preventDefault();
        event.target.checked = true;
        clearMark(fieldset);
        advanceFrom(index);
      }
    });
    fieldset.addEventListener("pointerdown", function () { movedByArrow = false; });
    fieldset.addEventListener("change", function (event) {
      if (event.target.type !== "radio") { return; }
      clearMark(fieldset);
      if (movedByArrow) { movedByArrow = false; return; }
      advanceFrom(index);
    });
  });

  form.addEventListener("submit", function (event) {
    var missing = null;
    for (var i = 0; i < questions.length && !missing; i++) {
      if (questions[i].hasAttribute("data-required") && !answered(questions[i])) {
        missing = questions[i];
      }
    }
    questions.forEach(clearMark);
    if (missing) {
      event.preventDefault();
      missing.classList.add("question--invalid");
      var message = document.createElement("p");
      message.className = "field__error";
      message.setAttribute("data-client-error", "");
      message.setAttribute("role", "alert");
      message.textContent = form.getAttribute("data-missing-message") || "";
      var legend = missing.querySelector("legend");
      legend.parentNode.insertBefore(message, legend.nextSibling);
      missing.scrollIntoView({ block: "start" });
      var first = missing.querySelector("input, textarea");
      if (first) { first.focus({ preventScroll: true }); }
      return;
    }
    var button = form.querySelector("[data-submit-once]");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
})();
