/* global $ */
// The console's live event log: GET /sandbox/events (server-sent events) drawn as one line per edge
// crossing, with the signature headers under each signed request and the full record on click.
(function () {
  'use strict';
  var hooks = null;

  var LABEL = {
    widget_api: 'widget → server',
    provider_api: 'provider → /api/v1',
    outbox: 'outbox',
    amojo_request: 'server → amojo',
    amojo_webhook: 'amojo → webhook',
    provider_event: 'server → provider',
  };
  var count = 0;

  function codeClass(status, ok) {
    if (ok === 'wait') return 'log__code--wait';
    return ok ? 'log__code--ok' : 'log__code--bad';
  }

  function describe(r) {
    var d = r.data;
    switch (r.kind) {
      case 'widget_api':
        return { summary: bodyHint(d.requestBody) + d.method + ' ' + shortPath(d.path), code: d.status, ok: d.status < 400 };
      case 'provider_api':
        // The edge label already says /api/v1; what was sent matters more than the long id in the path.
        return { summary: bodyHint(d.requestBody) + d.method + ' ' + shortPath(d.path.replace(/^\/api\/v1/, '')), code: d.status, ok: d.status < 400 };
      case 'outbox':
        return {
          summary:
            (d.destination === 'amojo' ? 'to amojo: ' : 'to provider: ') + (d.label || d.kind) + ' · attempt ' + d.attempts + (d.error ? ' · ' + d.error : ''),
          code: d.outcome,
          ok: d.outcome === 'delivered' ? true : d.outcome === 'retry' ? 'wait' : false,
        };
      case 'amojo_request':
        return {
          summary:
            (d.endpoint || 'unknown endpoint') +
            deliveryStatus(d.requestBody) +
            ' · ' +
            d.method +
            ' ' +
            shortPath(d.path.replace(/^\/v2\/origin\/custom/, '')) +
            (d.errorType ? ' · ' + d.errorType : ''),
          code: d.status,
          ok: d.status < 400,
          headers:
            'Date: ' +
            d.headers.date +
            '\nContent-MD5: ' +
            d.headers.contentMd5 +
            '\nX-Signature: ' +
            d.headers.signature +
            (d.reason ? '\nrefused: ' + d.reason : ''),
        };
      case 'amojo_webhook':
        return {
          summary: d.kind + ' hook → /amojo/v1/webhook/' + d.scopeId.slice(0, 12) + '…' + (d.error ? ' · ' + d.error : ''),
          code: d.status === null ? 'no answer' : d.status,
          ok: d.ok,
          headers: 'X-Signature: ' + d.signature,
        };
      case 'provider_event':
        return {
          summary: (d.type || 'event') + ' for ' + (d.account || '?') + (d.verified ? ' · signature ok' : ' · BAD SIGNATURE') + (d.note ? ' · ' + d.note : ''),
          code: d.status,
          ok: d.verified && d.status < 400,
          headers: 'X-Amochan-Signature: ' + d.signature,
        };
      default:
        return { summary: r.kind, code: '', ok: true };
    }
  }

  // Long ids (scope ids, message ids) would push the interesting part out of the line.
  function shortPath(p) {
    return p
      .split('/')
      .map(function (part) {
        return part.length > 14 ? part.slice(0, 8) + '…' : part;
      })
      .join('/');
  }

  // What the call carried, in a few words, shown before the path.
  function bodyHint(body) {
    if (!body || typeof body !== 'object') return '';
    if (typeof body.status === 'string') return body.status + ' · ';
    var text = body.message && body.message.text;
    if (typeof text === 'string') return '“' + (text.length > 30 ? text.slice(0, 30) + '…' : text) + '” · ';
    if (typeof body.login === 'string') return 'login ' + body.login + ' · ';
    return '';
  }

  var AMOJO_STATUS = { 1: 'delivered', 2: 'read', '-1': 'failed' };
  function deliveryStatus(raw) {
    try {
      var status = JSON.parse(raw).delivery_status;
      return status === undefined ? '' : ' ' + (AMOJO_STATUS[status] || status);
    } catch {
      return '';
    }
  }

  function pretty(data) {
    var copy = $.extend({}, data);
    ['requestBody', 'responseBody', 'body'].forEach(function (key) {
      if (typeof copy[key] === 'string') {
        try {
          copy[key] = JSON.parse(copy[key]);
        } catch {
          /* keep the text */
        }
      }
    });
    return JSON.stringify(copy, null, 2);
  }

  function appendRecord(r) {
    var info = describe(r);
    var $log = $('#event-log');
    var atBottom = $log[0].scrollHeight - $log.scrollTop() - $log.innerHeight() < 60;
    var $li = $('<li class="log__item"></li>').attr('data-kind', r.kind).attr('data-seq', r.seq);
    var $line = $('<div class="log__line"></div>').appendTo($li);
    $('<span class="log__time"></span>').text(hooks.time(r.at)).appendTo($line);
    $('<span class="edge"></span>')
      .addClass('edge--' + r.kind)
      .text(LABEL[r.kind] || r.kind)
      .appendTo($line);
    $('<span class="log__summary"></span>').text(info.summary).attr('title', info.summary).appendTo($line);
    $('<span class="log__code"></span>').addClass(codeClass(info.code, info.ok)).text(String(info.code)).appendTo($line);
    if (info.headers) $('<pre class="log__headers"></pre>').text(info.headers).appendTo($li);
    $('<pre class="log__detail"></pre>').text(pretty(r.data)).appendTo($li);
    $li.appendTo($log);
    // The server keeps 500; so does the page.
    var $items = $log.children();
    if ($items.length > 500) $items.slice(0, $items.length - 500).remove();
    count += 1;
    $('#log-count').text(count + ' events · live');
    if (atBottom) $log.scrollTop($log[0].scrollHeight);
  }

  $('#event-log').on('click', '.log__item', function () {
    $(this).toggleClass('log__item--open');
  });

  function connectEvents() {
    var source = new EventSource('/sandbox/events');
    var lastSeq = 0;
    var serverInstance = null;
    Object.keys(LABEL).forEach(function (kind) {
      source.addEventListener(kind, function (e) {
        var record = JSON.parse(e.data);
        // After a reconnect the browser sends Last-Event-ID, but guard against a full replay anyway.
        if (record.seq <= lastSeq) return;
        lastSeq = record.seq;
        appendRecord(record);
        hooks.onRecord(record);
      });
    });
    // A different instance = the server restarted: its log starts over, so does ours.
    source.addEventListener('hello', function (e) {
      var instance = JSON.parse(e.data).instance;
      if (instance !== serverInstance) {
        if (serverInstance) $('#event-log').empty();
        serverInstance = instance;
        lastSeq = 0;
      }
    });
    source.addEventListener('ready', function () {
      hooks.onReady();
    });
  }

  window.amochanEventLog = {
    start: function (options) {
      hooks = options;
      connectEvents();
    },
  };
})();
