// Beside each amount input with data-money-preview, show how shoppers will read the typed amount,
// in the currency of the "currency" field of the same form row.
(function () {
  "use strict";

  function currencyInput(input) {
    const name = input.name.replace(/[^-]+$/, "currency");
    return input.form ? input.form.elements.namedItem(name) : null;
  }

  function render(input, output) {
    const currencyField = currencyInput(input);
    const currency = (input.dataset.moneyCurrency || (currencyField && currencyField.value) || "").trim();
    const typed = input.value.trim();
    if (!/^\d+(\.\d+)?$/.test(typed) || !/^[A-Za-z]{3}$/.test(currency)) {
      output.textContent = "";
      return;
    }
    let amount;
    try {
      amount = new Intl.NumberFormat(input.dataset.moneyLocale || undefined, {
        style: "currency",
        currency: currency.toUpperCase(),
      }).format(Number(typed));
    } catch (error) {
      output.textContent = "";
      return;
    }
    output.textContent = "Shoppers read: " + input.dataset.moneyPreview.replace("{amount}", amount);
  }

  function attach(input) {
    if (input.dataset.moneyPreviewReady) {
      return;
    }
    input.dataset.moneyPreviewReady = "1";
    const output = document.createElement("output");
    output.className = "shop-money-preview";
    output.htmlFor = input.id;
    output.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", output);
    const update = function () { render(input, output); };
    input.addEventListener("input", update);
    const currencyField = currencyInput(input);
    if (currencyField) {
      currencyField.addEventListener("input", update);
    }
    update();
  }

  function attachAll() {
    document.querySelectorAll("input[data-money-preview]").forEach(function (input) {
      if (!input.name.includes("__prefix__")) {
        attach(input);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", attachAll);
  // Rows added by "Add another" in admin inlines.
  document.addEventListener("formset:added", attachAll);
})();
