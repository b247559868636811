// Espace Famille — tariff calculator. Computes with integers (BigInt) so that
// its results equal the Rust pricing used for billing (checked by a browser
// test): QF = floor((income + 12 × benefits) ÷ (12 × parts)); an effort rate
// gives QF × rate %, clamped; prices are shown rounded half-up to the cent.
'use strict';
(function () {
  var form = document.getElementById('simulateur');
  var dataElement = document.getElementById('grilles');
  if (!form || !dataElement || typeof BigInt !== 'function') return;
  var data = JSON.parse(dataElement.textContent);
  var output = document.getElementById('resultat');
  var errorsBox = document.getElementById('simulation-erreurs');
  form.hidden = false;

  // "24 500,50" → cents (BigInt), or an error message.
  function parseAmount(raw, label, required) {
    var text = String(raw).replace(/[\s\u00a0\u202f]/g, '').replace(',', '.');
    if (text === '') return required ? { error: label + ' : ce champ est obligatoire.' } : { value: null };
    if (/^-/.test(text) && /^-\d+(\.\d{1,2})?$/.test(text)) return { negative: true };
    if (!/^\d+(\.\d{1,2})?$/.test(text)) {
      return { error: label + ' : saisissez un montant en euros, par exemple 24 500 ou 150,50.' };
    }
    var parts = text.split('.');
    var cents = BigInt(parts[0]) * 100n + BigInt(((parts[1] || '') + '00').slice(0, 2));
    return { value: cents };
  }

  // A decimal string → BigInt scaled by 10^scale.
  function scaled(text, scale) {
    var negative = text.charAt(0) === '-';
    var parts = text.replace('-', '').split('.');
    var frac = ((parts[1] || '') + '0'.repeat(scale)).slice(0, scale);
    var v = BigInt(parts[0]) * 10n ** BigInt(scale) + BigInt(frac || '0');
    return negative ? -v : v;
  }

  function parseCount(raw, label, max) {
    var text = String(raw).trim();
    if (!/^\d+$/.test(text)) return { error: label + ' : saisissez un nombre entier, 0 ou plus.' };
    var n = Number(text);
    if (n > max) return { error: data.messages.enfants };
    return { value: n };
  }

  // Parts × 2 (halves): 2 parts, +0.5 for the first two children, +1 for the
  // third, +0.5 for each further one, +0.5 per AEEH child.
  function halfParts(children, aeeh) {
    var halves = 4;
    for (var rank = 1; rank <= children; rank++) halves += rank === 3 ? 2 : 1;
    return BigInt(halves + aeeh);
  }

  // Unit price in micro-euros (10^-6 €) for a QF in whole euros.
  function unitPrice(grid, qf, payer) {
    var MICRO = 6;
    if (payer === 'hors' && grid.hors_commune != null) return scaled(grid.hors_commune, MICRO);
    var price;
    if (grid.type === 'tranches') {
      var chosen = grid.tranches[0];
      for (var i = 0; i < grid.tranches.length; i++) {
        if (qf >= scaled(grid.tranches[i].qf_min, 0)) chosen = grid.tranches[i];
      }
      price = scaled(chosen.prix, MICRO);
    } else {
      // qf × taux / 100, in micro-euros: qf × taux(10^-4).
      price = qf * scaled(grid.taux, 4);
      var min = scaled(grid.minimum, MICRO), max = scaled(grid.maximum, MICRO);
      if (price < min) price = min;
      if (price > max) price = max;
    }
    if (payer === 'troisieme' && grid.des_3e_enfant != null) {
      var reduced = scaled(grid.des_3e_enfant, MICRO);
      if (reduced < price) price = reduced;
    }
    return price;
  }

  // Micro-euros → "3,60 €", half-up to the cent.
  function euros(micro) {
    var cents = (micro + 5000n) / 10000n;
    var whole = cents / 100n, rest = cents % 100n;
    return whole.toString() + ',' + (rest < 10n ? '0' : '') + rest.toString() + ' €';
  }

  function showErrors(errors) {
    errorsBox.textContent = '';
    form.querySelectorAll('.error').forEach(function (e) { e.remove(); });
    form.querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
    if (!errors.length) return;
    var box = document.createElement('div');
    box.className = 'notice notice-error';
    box.setAttribute('role', 'alert');
    var list = document.createElement('ul');
    errors.forEach(function (e) {
      var li = document.createElement('li');
      li.textContent = e.message;
      list.appendChild(li);
      var input = document.getElementById(e.field);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        var span = document.createElement('span');
        span.className = 'error';
        span.id = e.field + '-erreur';
        span.textContent = 'Erreur : ' + e.message;
        input.insertAdjacentElement('afterend', span);
        input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '').replace(e.field + '-erreur', '') + ' ' + span.id).trim());
      }
    });
    box.appendChild(list);
    errorsBox.appendChild(box);
    output.textContent = '';
  }

  function compute() {
    var errors = [];
    var qf = null;
    var detail = null;
    var known = parseAmount(form.qf.value, 'Quotient familial', false);
    if (known.error) errors.push({ field: 'qf', message: known.error });
    else if (known.negative) errors.push({ field: 'qf', message: 'Quotient familial : il doit être positif ou nul.' });
    else if (known.value !== null) qf = known.value / 100n;
    if (qf === null && !errors.length) {
      var income = parseAmount(form.revenu.value, 'Revenu annuel', true);
      var benefits = parseAmount(form.prestations.value, 'Prestations familiales', false);
      var children = parseCount(form.enfants.value, "Nombre d'enfants", data.limites.enfants_max);
      var aeeh = parseCount(form.aeeh.value, "Enfants bénéficiant de l'AEEH", data.limites.enfants_max);
      if (income.error) errors.push({ field: 'revenu', message: income.error });
      else if (income.negative) errors.push({ field: 'revenu', message: data.messages.revenu_negatif });
      else if (income.value > scaled(data.limites.revenu_max, 2)) errors.push({ field: 'revenu', message: data.messages.revenu_absurde });
      if (benefits.error) errors.push({ field: 'prestations', message: benefits.error });
      else if (benefits.negative) errors.push({ field: 'prestations', message: data.messages.prestations_negatives });
      else if (benefits.value !== null && benefits.value > scaled(data.limites.prestations_max, 2)) errors.push({ field: 'prestations', message: data.messages.prestations_absurdes });
      if (children.error) errors.push({ field: 'enfants', message: children.error });
      if (aeeh.error) errors.push({ field: 'aeeh', message: aeeh.error });
      else if (!children.error && aeeh.value > children.value) errors.push({ field: 'aeeh', message: data.messages.aeeh });
      if (!errors.length) {
        var b = benefits.value === null ? 0n : benefits.value;
        var halves = halfParts(children.value, aeeh.value);
        // floor((income + 12 b) / (12 × parts)) with parts = halves / 2, amounts in cents.
        qf = ((income.value + 12n * b) * 2n) / (12n * 100n * halves);
        detail = {
          income: income.value,
          benefits: b,
          halves: halves,
          // The exact quotient, in cents (cut to the cent), before rounding.
          exact: ((income.value + 12n * b) * 2n) / (12n * halves),
        };
      }
    }
    showErrors(errors);
    if (errors.length) {
      var alertBox = errorsBox.querySelector('[role=alert]');
      alertBox.setAttribute('tabindex', '-1');
      alertBox.focus();
      return;
    }
    render(qf, detail);
  }

  // Cents → "1 260,45 €" (thousands separated).
  function centsText(cents) {
    var whole = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
    var rest = cents % 100n;
    return whole + ',' + (rest < 10n ? '0' : '') + rest.toString() + ' €';
  }

  function cell(text, unit, payer) {
    var td = document.createElement('td');
    td.textContent = text;
    if (payer) {
      td.setAttribute('data-unite', unit);
      td.setAttribute('data-payeur', payer);
    }
    return td;
  }

  function render(qf, detail) {
    output.textContent = '';
    var p = document.createElement('p');
    p.className = 'notice notice-success';
    p.id = 'qf-resultat';
    p.setAttribute('data-qf', qf.toString());
    p.textContent = 'Quotient familial : ' + qf.toString() + ' €';
    output.appendChild(p);
    if (detail) {
      // The family's own figures: the parts, the computation, the rounding.
      var parts = (detail.halves / 2n).toString() + (detail.halves % 2n ? ',5' : '');
      var how = document.createElement('p');
      how.id = 'qf-calcul';
      how.textContent = 'Nombre de parts : ' + parts + '. Calcul : (' + centsText(detail.income) +
        ' ÷ 12 + ' + centsText(detail.benefits) + ') ÷ ' + parts + ' = ' + centsText(detail.exact) +
        ' par mois, arrondi à l\'euro inférieur : ' + qf.toString() +
        ' €, comme pour les tranches de la commune.';
      output.appendChild(how);
    }
    var table = document.createElement('table');
    // On a phone each unit's prices stack under their headings.
    table.className = 'data stacked';
    var caption = document.createElement('caption');
    caption.textContent = 'Prix pour un quotient familial de ' + qf.toString() + ' €';
    table.appendChild(caption);
    var head = document.createElement('tr');
    ['Activité', 'Unité', '1er et 2e enfant', 'Dès le 3e enfant', 'Hors commune'].forEach(function (h) {
      var th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      head.appendChild(th);
    });
    var thead = document.createElement('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var body = document.createElement('tbody');
    var labels = ['Activité', 'Unité', '1er et 2e enfant', 'Dès le 3e enfant', 'Hors commune'];
    data.unites.forEach(function (u) {
      var tr = document.createElement('tr');
      [
        cell(u.activite),
        cell(u.nom),
        cell(euros(unitPrice(u.tarif, qf, 'resident')), u.id, 'resident'),
        cell(euros(unitPrice(u.tarif, qf, 'troisieme')), u.id, 'troisieme'),
        cell(u.tarif.hors_commune != null ? euros(unitPrice(u.tarif, qf, 'hors')) : '—', u.id, 'hors'),
      ].forEach(function (td, i) {
        td.setAttribute('data-label', labels[i]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    // Narrow screens scroll the table, not the page.
    var scroller = document.createElement('div');
    scroller.className = 'table-scroll';
    scroller.setAttribute('tabindex', '0');
    scroller.setAttribute('role', 'region');
    scroller.setAttribute('aria-label', 'Prix par unité, défilable horizontalement');
    scroller.appendChild(table);
    output.appendChild(scroller);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    compute();
  });
})();
