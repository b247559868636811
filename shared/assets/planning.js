// Planning: warns before leaving the page with boxes changed and not saved.
// Without JavaScript the form works the same, without the warning.
(function () {
  'use strict';
  var form = document.querySelector('form[data-planning-form]');
  if (!form) return;
  var dirty = false;
  form.addEventListener('change', function () { dirty = true; });
  form.addEventListener('submit', function () { dirty = false; });
  window.addEventListener('beforeunload', function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = '';
  });
  // Links inside the page (other period, other view) ask first.
  document.querySelectorAll('a[href^="/planning"]').forEach(function (link) {
    link.addEventListener('click', function (event) {
      if (dirty && !window.confirm('Vos changements ne sont pas enregistrés. Quitter cette page sans enregistrer ?')) {
        event.preventDefault();
      } else {
        dirty = false;
      }
    });
  });
}());
