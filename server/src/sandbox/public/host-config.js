// What the sandbox console's amoCRM host page adds to the shared fake host (widget/test/host/amo-host.js,
// served as /sandbox/host/amo-host.js): /sandbox paths, the sandbox account from <body data-host> (no
// inline script: the page's CSP forbids it), sandbox-minted tokens, same-origin calls and toasts.
(function () {
  'use strict';
  var data = JSON.parse(document.body.getAttribute('data-host'));

  function toast(header, text) {
    var box = document.getElementById('host-toasts');
    var item = document.createElement('div');
    item.className = 'host-toast';
    item.textContent = header + ': ' + text;
    box.appendChild(item);
    setTimeout(function () {
      box.removeChild(item);
    }, 4000);
  }

  window.AMOCHAN_HOST_CONFIG = {
    lang: data.lang,
    subdomain: data.subdomain,
    accountId: data.accountId,
    userId: data.userId,
    amojoId: data.amojoId,
    base: '/sandbox',
    userName: 'Sandbox Manager',
    userAmojoId: 'sandbox-user-' + data.userId,
    nameWithVersion: true,
    // AMOCRM_CLIENT_SECRET is set: the sandbox mints the token amoCRM would sign. Otherwise none.
    token: function () {
      if (!data.tokens) return Promise.resolve(null);
      return fetch('/sandbox/api/widget-token')
        .then(function (res) {
          if (!res.ok) throw new Error('widget token: HTTP ' + res.status);
          return res.json();
        })
        .then(function (reply) {
          return reply.token;
        });
    },
    // The widget calls the server URL baked in at build time (WIDGET_SERVER_URL, localhost:3000 by
    // default). This console may run on another port, so calls go to this page's own origin instead.
    rewriteUrl: function (url) {
      var match = /^https?:\/\/[^/]+(\/.*)$/.exec(url);
      return match ? match[1] : url;
    },
    onNotification: function (message) {
      toast(message.header, message.text);
    },
    onError: function (text) {
      document.getElementById('widget-descr').textContent = text;
    },
  };
})();
