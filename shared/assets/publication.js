// The web team's news form: the preview follows the typing (the server
// renders it with the site's own code), and an image over 4 MB is said
// next to its field before anything is sent. Without JavaScript the form
// works the same: the "Aperçu" button shows the preview.
(function () {
  'use strict';
  var form = document.querySelector('form[data-news-form]');
  var target = document.getElementById('apercu-contenu');
  if (!form || !target) return;
  var slug = (form.getAttribute('action').match(/\/actualites\/([a-z0-9-]+)$/) || [])[1];
  if (slug === 'nouvelle') slug = '';
  var timer = null;
  var sent = 0;

  function refresh() {
    var fields = ['titre', 'date', 'resume', 'corps', 'image_alt', 'image_gardee', 'retirer_image', '_csrf'];
    var body = new URLSearchParams();
    fields.forEach(function (name) {
      var input = form.elements[name];
      if (!input) return;
      if (input.type === 'checkbox') {
        if (input.checked) body.append(name, input.value);
      } else {
        body.append(name, input.value);
      }
    });
    body.append('slug', slug || '');
    var mine = ++sent;
    fetch('/agents/site/actualites/apercu', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      // An older answer arriving late never replaces a newer one.
      if (html !== null && mine === sent) target.innerHTML = html;
    }).catch(function () { /* the button still works */ });
  }

  form.addEventListener('input', function (event) {
    if (event.target.type === 'file') return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });

  var image = form.elements.image;
  if (image) {
    image.addEventListener('change', function () {
      var file = image.files && image.files[0];
      var id = 'image-erreur';
      var old = document.getElementById(id);
      if (old) old.parentNode.removeChild(old);
      image.removeAttribute('aria-invalid');
      image.setAttribute('aria-describedby', 'image-aide');
      if (file && file.size > 4 * 1024 * 1024) {
        var error = document.createElement('span');
        error.className = 'error';
        error.id = id;
        error.setAttribute('role', 'alert');
        error.textContent = 'Erreur : Le fichier dépasse 4 Mo (' + Math.ceil(file.size / 1024) +
          ' Ko) : réduisez-le avant de l\'envoyer.';
        image.parentNode.appendChild(error);
        image.setAttribute('aria-invalid', 'true');
        image.setAttribute('aria-describedby', 'image-aide ' + id);
        image.value = '';
      }
    });
  }
}());
