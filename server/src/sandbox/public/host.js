/* global requirejs, define */
// The fake amoCRM host of the sandbox console (the same approach as widget/test/host/amo-host.js):
// it loads the built widget's script.js with RequireJS exactly as amoCRM does, mixes in the widget
// base methods, and opens the settings modal. Config comes from <body data-host> (no inline script:
// the page's CSP forbids it). window.amoHost is there for the browser test.
(function () {
  'use strict';
  var config = JSON.parse(document.body.getAttribute('data-host'));
  var events = [];
  var host = (window.amoHost = { ready: false, error: null, events: events });

  var account = { id: config.accountId, subdomain: config.subdomain, amojo_id: config.amojoId };
  var user = { id: config.userId, name: 'Sandbox Manager', amojo_id: 'sandbox-user-' + config.userId };

  function toast(header, text) {
    var box = document.getElementById('host-toasts');
    var item = document.createElement('div');
    item.className = 'host-toast';
    item.textContent = header + ': ' + text;
    box.appendChild(item);
    setTimeout(function () { box.removeChild(item); }, 4000);
  }

  window.APP = window.AMOCRM = {
    lang_id: config.lang,
    constant: function (name) {
      return name === 'account' ? account : name === 'user' ? user : undefined;
    },
    notifications: {
      show_message: function (message) {
        events.push({ type: 'notification', header: message.header, text: message.text });
        toast(message.header, message.text);
      },
    },
  };

  // Host modules the widget may list as AMD deps besides jquery and twigjs.
  define('underscore', [], function () {
    return { escape: function (s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); } };
  });
  define('lib/components/base/modal', ['jquery'], function ($) {
    function Modal(options) {
      var $body = $('<div class="host-stub-modal"></div>').appendTo(document.body);
      this.destroy = function () {
        if (options.destroy) options.destroy();
        $body.remove();
      };
      if (options.init) options.init($body);
    }
    return Modal;
  });
  requirejs.config({
    paths: { jquery: '/sandbox/vendor/jquery', twigjs: '/sandbox/vendor/twig.min', 'amochan-widget': '/sandbox/widget/script' },
    waitSeconds: 20,
  });

  // The widget calls the server URL baked in at build time (WIDGET_SERVER_URL, localhost:3000 by
  // default). This console may run on another port, so calls go to this page's own origin instead.
  function sameOrigin(url) {
    var match = /^https?:\/\/[^/]+(\/.*)$/.exec(url);
    return match ? match[1] : url;
  }

  function createWidgetBase($, Twig, manifest, langs) {
    var settings = {};
    function withToken(options) {
      if (!config.tokens) return $.Deferred().resolve(options).promise();
      // AMOCRM_CLIENT_SECRET is set: the sandbox mints the token amoCRM would sign.
      return $.getJSON('/sandbox/api/widget-token').then(function (reply) {
        return $.extend({}, options, { headers: $.extend({}, options.headers, { 'X-Auth-Token': reply.token }) });
      });
    }
    return {
      params: { widget_code: 'amochan', path: '/sandbox/widget', cdn_path: '/sandbox/widget', version: manifest.widget.version, status: 'installed' },
      langs: langs,
      system: function () { return { area: 'settings', subdomain: config.subdomain, amouser_id: String(config.userId) }; },
      i18n: function (key) { return langs[key]; },
      get_version: function () { return manifest.widget.version; },
      get_install_status: function () { return 'installed'; },
      set_status: function () {},
      get_settings: function () { return settings; },
      set_settings: function (next) {
        events.push({ type: 'set_settings', settings: JSON.parse(JSON.stringify(next)) });
        $.extend(settings, next);
      },
      render: function (source, params) {
        if (source.data != null) return Twig.twig({ data: source.data }).render(params);
        var url = (source.base_path || '') + source.href + (source.v ? '?v=' + source.v : '');
        Twig.twig({ href: url, async: true, load: function (template) { if (source.load) source.load(template); } });
        return '';
      },
      $authorizedAjax: function (options) {
        var local = $.extend({}, options, { url: sameOrigin(options.url) });
        events.push({ type: 'request', method: local.type || 'GET', url: local.url });
        return withToken(local).then(function (ready) { return $.ajax(ready); });
      },
    };
  }

  function settle(promise, type) {
    return Promise.resolve(promise).then(
      function (result) { events.push({ type: type, ok: true, result: result }); return result; },
      function (error) { events.push({ type: type, ok: false, code: error && error.code }); throw error; }
    );
  }

  requirejs(['jquery', 'twigjs', 'amochan-widget'], function ($, Twig, Widget) {
    $.when($.getJSON('/sandbox/widget/manifest.json'), $.getJSON('/sandbox/widget/i18n/' + config.lang + '.json')).then(
      function (manifestReply, langsReply) {
        var manifest = manifestReply[0];
        var langs = langsReply[0];
        $('#widget-name').text(langs.widget.name + ' ' + manifest.widget.version);
        $('#widget-descr').text(langs.widget.short_description);
        // amoCRM builds the widget, then mixes its own methods into the instance.
        var widget = new Widget();
        $.extend(widget, createWidgetBase($, Twig, manifest, langs));
        var cb = widget.callbacks;
        var started = cb.render() === true && cb.init() === true && cb.bind_actions() === true;
        events.push({ type: 'started', ok: started });
        var $modalBody = $('#settings-modal .modal-body');
        cb.settings($modalBody);

        function fields() {
          var values = {};
          $('#settings-modal').find('input[name]').each(function () { values[this.name] = this.value; });
          return values;
        }
        host.save = function (active) { return settle(cb.onSave({ active: active, fields: fields() }), 'save'); };
        host.widget = widget;
        $('#host-save').on('click', function () { host.save('Y').catch(function () {}); });
        $('#host-disable').on('click', function () { host.save('N').catch(function () {}); });
        host.ready = true;
      },
      function (xhr) { host.error = 'could not load the widget files: HTTP ' + xhr.status; $('#widget-descr').text(host.error); }
    );
  }, function (error) {
    host.error = 'RequireJS: ' + error.message;
    document.getElementById('widget-descr').textContent = host.error;
  });
})();
