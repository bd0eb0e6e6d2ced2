(function () {
  'use strict';
  function $(sel) { return document.querySelector(sel); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function json(resp) {
    if (!resp.ok) { throw new Error('HTTP ' + resp.status); }
    return resp.json();
  }

  // Cookie consent.
  var banner = $('#consent-banner');
  if (banner) {
    var decide = function (value) {
      document.cookie = 'consent=' + value + '; path=/; max-age=31536000; SameSite=Lax';
      banner.hidden = true;
    };
    $('#consent-accept').addEventListener('click', function () { decide('yes'); });
    $('#consent-necessary').addEventListener('click', function () { decide('necessary'); });
  }

  // Chat: the widget comes from the chat vendor's own origin.
  var launcher = $('#chat-launcher');
  var panel = $('#chat-panel');
  launcher.addEventListener('click', function () {
    if (!$('#chat-frame')) {
      var frame = el('iframe');
      frame.id = 'chat-frame';
      frame.title = 'Chat with Nordlys Care';
      frame.src = launcher.dataset.widget;
      $('#chat-body').appendChild(frame);
    }
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
  });
  $('#chat-close').addEventListener('click', function () {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
  });

  // Landing page: the product list is rendered here, from /api/products.
  var list = $('#product-list');
  if (list) {
    fetch('/api/products', { headers: { Accept: 'application/json' } })
      .then(json)
      .then(function (data) {
        var cards = data.products.map(function (p) {
          var card = el('article', 'card product-card');
          var a = el('a', 'product-link');
          a.href = '/product/' + encodeURIComponent(p.id);
          var img = el('img');
          img.src = p.image;
          img.alt = p.name;
          img.width = 600;
          img.height = 600;
          var body = el('span', 'card-body');
          body.append(el('span', 'card-cat', p.category), el('span', 'card-name', p.name),
            el('span', 'card-summary', p.summary), el('span', 'card-price', p.price));
          a.append(img, body);
          card.append(a);
          if (p.badge) { card.append(el('span', 'badge', p.badge)); }
          return card;
        });
        list.replaceChildren.apply(list, cards);
      })
      .catch(function () {
        var msg = el('p', 'error', 'Sorry, we could not load our products right now. Please try again in a moment.');
        msg.id = 'products-error';
        list.replaceChildren(msg);
      })
      .finally(function () { list.setAttribute('aria-busy', 'false'); });
  }

  // Product page: the button is enabled once the stock is known.
  var add = $('#add-to-basket');
  if (add) {
    var id = add.dataset.product;
    var stock = $('#stock');
    var failed = $('#basket-error');
    fetch('/api/stock/' + encodeURIComponent(id), { headers: { Accept: 'application/json' } })
      .then(json)
      .then(function (s) {
        stock.classList.remove('checking');
        if (s.in_stock) {
          stock.textContent = s.message;
          add.disabled = false;
        } else {
          stock.classList.add('out');
          stock.textContent = 'Sold out';
        }
      })
      .catch(function () {
        stock.textContent = 'Could not check the stock. Please reload the page.';
      });

    var drawer = $('#basket-drawer');
    $('#drawer-close').addEventListener('click', function () { drawer.hidden = true; });

    add.addEventListener('click', function () {
      failed.hidden = true;
      add.disabled = true;
      add.textContent = 'Adding…';
      fetch('/api/basket', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ id: id })
      })
        .then(json)
        .then(function (b) {
          $('#basket-count').textContent = String(b.count);
          var lines = b.lines.map(function (l) {
            var li = el('li');
            var img = el('img');
            img.src = l.image;
            img.alt = '';
            img.width = 56;
            img.height = 56;
            var name = el('span', 'summary-name', l.name + (l.quantity > 1 ? ' × ' + l.quantity : ''));
            li.append(img, name, el('span', 'summary-price', l.total));
            return li;
          });
          var ul = $('#drawer-lines');
          ul.replaceChildren.apply(ul, lines);
          $('#drawer-total').textContent = b.total;
          drawer.hidden = false;
        })
        .catch(function () {
          failed.textContent = 'Sorry, we could not add this to your basket. Please try again.';
          failed.hidden = false;
        })
        .finally(function () {
          add.disabled = false;
          add.textContent = 'Add to basket';
        });
    });
  }
})();
