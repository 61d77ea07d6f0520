// Shows, as the numbers are typed, how many votes for a vote form needs: ceil(fraction x counted).
// Display only: the server checks the threshold again when the form is sent.
(function () {
  "use strict";

  function number(form, name) {
    var input = form.querySelector("[name$='-" + name + "']");
    if (!input || input.value.trim() === "") return null;
    var value = parseInt(input.value, 10);
    return isNaN(value) ? null : value;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // The fields come from the step's definition (vote: counted, less, for), as data attributes of the form.
  function counted(form) {
    var members = number(form, form.dataset.counted);
    if (members === null) return null;
    return members - (form.dataset.less ? number(form, form.dataset.less) || 0 : 0);
  }

  function update(form) {
    var output = form.querySelector("output.vote-live");
    var base = counted(form);
    if (base === null || base < 0) { output.hidden = true; return; }
    var num = parseInt(form.dataset.num, 10), den = parseInt(form.dataset.den, 10);
    var needed = Math.ceil((num * base) / den);  // integers only: exact like the server's Fraction
    var text = fill(form.dataset.textNeeded, {needed: needed, counted: base, fraction: num + "/" + den});
    var votes = number(form, form.dataset.vote);
    if (votes !== null) {
      text += " " + fill(votes >= needed ? form.dataset.textEnough : form.dataset.textShort,
                         {votes: votes, missing: needed - votes});
    }
    output.textContent = text;
    output.hidden = false;
  }

  document.querySelectorAll("form[data-vote]").forEach(function (form) {
    form.addEventListener("input", function () { update(form); });
    update(form);
  });
})();
