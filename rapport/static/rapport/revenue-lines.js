// The rows of a contract's lines: add a row, and show what each row and the whole come to in a
// year as they are typed. Without this script the form still works with its blank rows.
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;
  var format = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function number(input) {
    if (!input || input.value.trim() === "") { return null; }
    var value = Number(input.value.replace(",", "."));
    return isFinite(value) ? value : null;
  }

  function refresh(fieldset) {
    var total = 0;
    fieldset.querySelectorAll(".line-row").forEach(function (row) {
      var quantity = number(row.querySelector(".line-quantity"));
      var price = number(row.querySelector(".line-price"));
      var removed = row.querySelector("input[type=checkbox][name$='-DELETE']");
      var cell = row.querySelector(".line-value");
      if (quantity === null || price === null || (removed && removed.checked)) {
        cell.textContent = "";
        return;
      }
      var value = Math.round(quantity * price * 100) / 100;
      total += value;
      cell.textContent = format.format(value);
    });
    var shown = fieldset.querySelector(".line-total-value");
    if (shown) { shown.textContent = format.format(total); }
  }

  function addRow(fieldset) {
    var template = fieldset.querySelector("template.line-template");
    var counter = fieldset.querySelector("input[name$='-TOTAL_FORMS']");
    var limit = fieldset.querySelector("input[name$='-MAX_NUM_FORMS']");
    var index = Number(counter.value);
    if (limit && index >= Number(limit.value)) { return; }
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("tr");
    row.querySelector(".line-number").textContent = String(index + 1);
    fieldset.querySelector(".line-rows").appendChild(row);
    counter.value = String(index + 1);
    var select = row.querySelector("select");
    if (select) { select.focus(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".line-add");
    if (button) {
      event.preventDefault();
      addRow(button.closest(".contract-lines"));
    }
  });

  ["input", "change"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      var fieldset = event.target.closest && event.target.closest(".contract-lines");
      if (fieldset) { refresh(fieldset); }
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".contract-lines").forEach(refresh);
  });
})();
