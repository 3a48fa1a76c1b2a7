/* global requirejs, define */
// The fake amoCRM host: loads the built widget's script.js with RequireJS exactly as amoCRM does,
// mixes in the widget base methods and opens the settings modal. Shared by the widget's browser
// tests (test/host, served as /host/amo-host.js) and the server's sandbox console (served as
// /sandbox/host/amo-host.js, configured by server/src/sandbox/public/host-config.js).
// Reads window.AMOCHAN_HOST_CONFIG, set by the page before this script:
//   { lang, subdomain, accountId, userId, amojoId,
//     clientSecret, audience, clientUuid  — for the default token (signed here, as amoCRM does),
//     base?            — path prefix of /vendor and /widget ('' by default),
//     userName?, userAmojoId?, nameWithVersion?,
//     token?()         — Promise of the X-Auth-Token value (null: send none) instead of signing one,
//     rewriteUrl?(url) — where $authorizedAjax really sends a request,
//     onNotification?(message), onError?(text) — page hooks }
// and exposes window.amoHost for the tests (events log, save/disable, addAsSource, destroy).
(function () {
  'use strict';
  var config = window.AMOCHAN_HOST_CONFIG;
  var base = config.base || '';
  var events = [];
  var host = (window.amoHost = { ready: false, error: null, events: events });

  function fail(text) {
    host.error = text;
    if (config.onError) config.onError(text);
  }

  // APP and its deprecated alias AMOCRM, with what the widget reads.
  var account = { id: config.accountId, subdomain: config.subdomain, amojo_id: config.amojoId };
  var user = { id: config.userId, name: config.userName || 'Test Manager', amojo_id: config.userAmojoId || 'user-' + config.userId };
  window.APP = window.AMOCRM = {
    lang_id: config.lang,
    constant: function (name) {
      return name === 'account' ? account : name === 'user' ? user : undefined;
    },
    notifications: {
      show_message: function (message) {
        events.push({ type: 'notification', header: message.header, text: message.text });
        if (config.onNotification) config.onNotification(message);
      },
    },
  };

  // Host modules the widget may list as AMD deps besides jquery and twigjs.
  define('underscore', [], function () {
    return {
      escape: function (s) {
        return String(s).replace(/[&<>"']/g, function (c) {
          return '&#' + c.charCodeAt(0) + ';';
        });
      },
    };
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
    paths: { jquery: base + '/vendor/jquery', twigjs: base + '/vendor/twig.min', 'amochan-widget': base + '/widget/script' },
    waitSeconds: 20,
  });

  function base64url(bytes) {
    var text = '';
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // amoCRM's disposable token: HS256 over the integration's client secret, fresh jti every call.
  function signToken() {
    var encoder = new TextEncoder();
    var now = Math.floor(Date.now() / 1000);
    var header = { alg: 'HS256', typ: 'JWT' };
    var claims = {
      iss: 'https://' + config.subdomain + '.amocrm.ru',
      aud: config.audience,
      jti: crypto.randomUUID(),
      iat: now,
      nbf: now,
      exp: now + 1800,
      account_id: config.accountId,
      user_id: config.userId,
      subdomain: config.subdomain,
      client_uuid: config.clientUuid,
    };
    var input = base64url(encoder.encode(JSON.stringify(header))) + '.' + base64url(encoder.encode(JSON.stringify(claims)));
    return crypto.subtle
      .importKey('raw', encoder.encode(config.clientSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      .then(function (key) {
        return crypto.subtle.sign('HMAC', key, encoder.encode(input));
      })
      .then(function (signature) {
        return input + '.' + base64url(new Uint8Array(signature));
      });
  }

  var token = config.token || signToken;
  var rewriteUrl =
    config.rewriteUrl ||
    function (url) {
      return url;
    };

  function createWidgetBase($, Twig, manifest, langs) {
    var settings = {};
    return {
      params: { widget_code: 'amochan', path: base + '/widget', cdn_path: base + '/widget', version: manifest.widget.version, status: 'installed' },
      langs: langs,
      system: function () {
        return { area: 'settings', subdomain: config.subdomain, amouser_id: String(config.userId) };
      },
      i18n: function (key) {
        return langs[key];
      },
      get_version: function () {
        return manifest.widget.version;
      },
      get_install_status: function () {
        return 'installed';
      },
      set_status: function () {},
      get_settings: function () {
        return settings;
      },
      set_settings: function (next) {
        events.push({ type: 'set_settings', settings: JSON.parse(JSON.stringify(next)) });
        $.extend(settings, next);
      },
      // Own templates: inline ({data}) or from the widget folder ({href, base_path, v, load}).
      render: function (source, params) {
        if (source.data != null) return Twig.twig({ data: source.data }).render(params);
        var url = (source.base_path || '') + source.href + (source.v ? '?v=' + source.v : '');
        Twig.twig({
          href: url,
          async: true,
          load: function (template) {
            if (source.load) source.load(template);
          },
        });
        return '';
      },
      $authorizedAjax: function (options) {
        var deferred = $.Deferred();
        var request = $.extend({}, options, { url: rewriteUrl(options.url) });
        Promise.resolve(token()).then(
          function (value) {
            events.push({ type: 'request', method: request.type || request.method || 'GET', url: request.url });
            if (value) request.headers = $.extend({}, request.headers, { 'X-Auth-Token': value });
            $.ajax(request).then(deferred.resolve, deferred.reject);
          },
          function (error) {
            deferred.reject({ status: 0, statusText: String(error) });
          },
        );
        return deferred.promise();
      },
    };
  }

  function settle(promise, type) {
    return Promise.resolve(promise).then(
      function (result) {
        events.push({ type: type, ok: true, result: result });
        return result;
      },
      function (error) {
        events.push({ type: type, ok: false, code: error && error.code });
        throw error;
      },
    );
  }

  requirejs(
    ['jquery', 'twigjs', 'amochan-widget'],
    function ($, Twig, Widget) {
      $.when($.getJSON(base + '/widget/manifest.json'), $.getJSON(base + '/widget/i18n/' + config.lang + '.json')).then(
        function (manifestReply, langsReply) {
          var manifest = manifestReply[0];
          var langs = langsReply[0];
          $('#widget-name').text(langs.widget.name + (config.nameWithVersion ? ' ' + manifest.widget.version : ''));
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
            $('#settings-modal')
              .find('input[name]')
              .each(function () {
                values[this.name] = this.value;
              });
            return values;
          }
          host.save = function (active) {
            var event = { active: active, fields: fields() };
            events.push({ type: 'save_fields', fields: event.fields });
            return settle(cb.onSave(event), 'save');
          };
          host.addAsSource = function (pipelineId) {
            return settle(cb.onAddAsSource(pipelineId), 'source');
          };
          host.reopenSettings = function () {
            cb.settings($modalBody);
          };
          host.destroy = function () {
            cb.destroy();
          };
          host.widget = widget;
          $('#host-save').on('click', function () {
            host.save('Y').catch(function () {});
          });
          $('#host-disable').on('click', function () {
            host.save('N').catch(function () {});
          });
          host.ready = true;
        },
        function (xhr) {
          fail('could not load the widget files: HTTP ' + xhr.status);
        },
      );
    },
    function (error) {
      fail('RequireJS: ' + error.message);
    },
  );
})();
