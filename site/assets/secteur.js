// Espace Famille — sector school finder: filters the street index as the
// family types, without regard to case, accents, hyphens or apostrophes
// (the same folding as the Rust rule), and by number when one is given.
'use strict';
(function () {
  var form = document.getElementById('recherche-secteur');
  var data = document.getElementById('rues');
  var output = document.getElementById('resultat-secteur');
  if (!form || !data || !output) return;
  var rows = JSON.parse(data.textContent);
  form.hidden = false;

  function fold(text) {
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[œŒ]/g, 'o').replace(/[æÆ]/g, 'a')
      .replace(/[-'’.]/g, ' ').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
  }

  function takes(row, n) {
    if (n === null) return true;
    if (row.cote === 'pairs' && n % 2 !== 0) return false;
    if (row.cote === 'impairs' && n % 2 !== 1) return false;
    if (row.de !== null && n < row.de) return false;
    if (row.a !== null && n > row.a) return false;
    return true;
  }

  function search() {
    var query = fold(form.rue.value);
    var numberText = form.numero.value.trim();
    output.textContent = '';
    if (!query) return;
    var n = null;
    if (numberText !== '') {
      if (!/^\d{1,5}$/.test(numberText)) {
        var err = document.createElement('p');
        err.className = 'notice notice-error';
        err.textContent = 'Le numéro doit être un nombre, par exemple 12.';
        output.appendChild(err);
        return;
      }
      n = Number(numberText);
    }
    var found = rows.filter(function (r) { return fold(r.rue).indexOf(query) !== -1 && takes(r, n); });
    var p = document.createElement('p');
    p.className = 'notice';
    if (!found.length) {
      p.textContent = 'Aucune rue ne correspond. Vérifiez l\u2019orthographe, ou contactez le service Enfance-Éducation.';
      output.appendChild(p);
      return;
    }
    p.textContent = found.length === 1 ? '1 résultat :' : found.length + ' résultats :';
    output.appendChild(p);
    var list = document.createElement('ul');
    list.id = 'ecoles-trouvees';
    found.forEach(function (r) {
      var li = document.createElement('li');
      li.textContent = r.rue + ' (' + r.numeros + ') : ' + r.ecole;
      li.setAttribute('data-ecole', r.ecole);
      list.appendChild(li);
    });
    output.appendChild(list);
  }

  form.addEventListener('input', search);
  form.addEventListener('submit', function (e) { e.preventDefault(); search(); });
})();
