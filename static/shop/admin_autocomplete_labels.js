// Name the admin's autocomplete boxes (select2) after their field's label, for screen readers:
// select2 labels its box by the current choice alone, which is empty until one is made.
(function () {
  "use strict";

  function labelAll() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const label = document.querySelector('label[for="' + select.id + '"]');
      const box = select.nextElementSibling && select.nextElementSibling.querySelector(".select2-selection");
      if (!label || !box) {
        return;
      }
      label.id = label.id || select.id + "_label";
      const rendered = box.querySelector(".select2-selection__rendered");
      box.setAttribute("aria-labelledby", [label.id, rendered && rendered.id].filter(Boolean).join(" "));
      if (rendered) {
        rendered.setAttribute("aria-labelledby", label.id + " " + rendered.id);
      }
    });
  }

  // The admin's autocomplete.js makes the boxes in a jQuery ready handler, which runs before this
  // one (this deferred script registers later); pages without jQuery have no boxes.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(labelAll);
  }
  document.addEventListener("formset:added", function () {
    window.setTimeout(labelAll);
  });
})();
