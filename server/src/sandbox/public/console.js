/* global $ */
// The sandbox console's client: plain JS + jQuery 2, no build step. It draws the amoCRM inbox and the
// customer pane from GET /sandbox/api/state (refreshed whenever the event log moves, and on a slow
// timer), and the event log from the server-sent events of GET /sandbox/events.
(function () {
  'use strict';
  var boot = JSON.parse(document.body.getAttribute('data-boot'));
  var state = { inbox: { chats: [] }, customer: { conversations: [] } };
  var selectedChat = null;
  var selectedConversation = null;
  var readInFlight = {};

  function api(method, path, body) {
    return $.ajax({
      url: '/sandbox/api' + path,
      type: method,
      dataType: 'json',
      contentType: body ? 'application/json' : undefined,
      data: body ? JSON.stringify(body) : undefined,
    }).then(null, function (xhr) {
      var error = xhr.responseJSON && xhr.responseJSON.error;
      return $.Deferred()
        .reject(error ? error.message : 'HTTP ' + xhr.status)
        .promise();
    });
  }

  function time(ms) {
    var d = new Date(ms);
    return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2) + ':' + ('0' + d.getSeconds()).slice(-2);
  }

  var ICONS = { picture: '🖼', video: '🎬', file: '📎', voice: '🎤', audio: '🎵', sticker: '🏷', location: '📍', contact: '👤' };
  function attachmentIcon(kind) {
    return ICONS[kind] || '📎';
  }

  /** One line for a chat list or a preview: what the message is, then its text. */
  function summary(m) {
    return m.attachment ? attachmentIcon(m.kind) + ' ' + m.attachment + (m.text ? ' — ' + m.text : '') : m.text;
  }

  function bubble(text, mine, meta) {
    var $b = $('<div class="bubble"></div>').toggleClass('bubble--mine', mine);
    if (meta.author) $('<div class="bubble__author"></div>').text(meta.author).appendTo($b);
    // A picture, file, location or contact says what it is; its caption (if any) follows as text.
    if (meta.attachment)
      $('<div class="bubble__attachment"></div>')
        .attr('data-kind', meta.kind || '')
        .text(attachmentIcon(meta.kind) + ' ' + meta.attachment)
        .appendTo($b);
    if (text || !meta.attachment) $('<div class="bubble__text"></div>').text(text).appendTo($b);
    var $meta = $('<div class="bubble__meta"></div>').appendTo($b);
    $('<span></span>').text(time(meta.at)).appendTo($meta);
    if (meta.status)
      $('<span class="status"></span>')
        .addClass('status--' + meta.status)
        .attr('data-status', meta.status)
        .text(meta.status)
        .appendTo($meta);
    if (meta.history && meta.history.length)
      $('<span class="history"></span>')
        .text('(' + ['sent'].concat(meta.history).join(' → ') + ')')
        .appendTo($meta);
    if (meta.error) $('<div class="bubble__error"></div>').text(meta.error).appendTo($b);
    return $b;
  }

  function keepScroll($box, draw) {
    var atBottom = $box[0].scrollHeight - $box.scrollTop() - $box.innerHeight() < 40;
    draw();
    if (atBottom) $box.scrollTop($box[0].scrollHeight);
  }

  // ---- amoCRM side -------------------------------------------------------------------------------
  function renderInbox() {
    var inbox = state.inbox;
    $('#amo-status')
      .text(inbox.connected ? 'connected · scope ' + inbox.scopeId.slice(0, 18) + '…' : 'not connected')
      .toggleClass('pill--on', !!inbox.connected);
    var chats = inbox.chats;
    if (
      !chats.some(function (c) {
        return c.id === selectedChat;
      })
    )
      selectedChat = chats.length ? chats[0].id : null;
    var $list = $('#chat-list').empty();
    chats.forEach(function (chat) {
      var last = chat.messages[chat.messages.length - 1];
      var $li = $('<li class="chat"></li>')
        .attr('data-chat', chat.id)
        .toggleClass('chat--active', chat.id === selectedChat);
      $('<div class="chat__name"></div>').text(chat.title).appendTo($li);
      if (chat.origin === 'write_first' && !chat.conversationId) $('<div class="chat__tag">write first · awaiting answer</div>').appendTo($li);
      $('<div class="chat__last"></div>')
        .text(last ? summary(last) : '')
        .appendTo($li);
      $li.appendTo($list);
    });
    var chat = chats.filter(function (c) {
      return c.id === selectedChat;
    })[0];
    var phone = chat && chat.phone && chat.title !== '+' + chat.phone ? ' · +' + chat.phone : '';
    $('#thread-title').text(
      chat ? chat.title + phone + (chat.conversationId ? '' : ' · waiting for the customer to answer') : inbox.connected ? 'No chats yet' : 'No chat selected',
    );
    $('#reply-text, #reply-send').prop('disabled', !chat || !inbox.connected);
    var $box = $('#inbox-messages');
    keepScroll($box, function () {
      $box.empty();
      if (!chat) {
        $('<p class="empty"></p>')
          .text(
            inbox.connected
              ? 'Write as the customer (middle pane) or start a chat with "Write first": it appears here.'
              : 'Connect the widget above (login ' + boot.login + ', password ' + boot.password + '), then write as the customer.',
          )
          .appendTo($box);
        return;
      }
      chat.messages.forEach(function (m) {
        bubble(m.text, m.from === 'manager', {
          author: m.author,
          kind: m.kind,
          attachment: m.attachment,
          at: m.at,
          status: m.from === 'manager' ? m.status : null,
          history: m.from === 'manager' ? m.history : null,
          error: m.error,
        })
          .addClass('inbox-msg')
          .attr('data-from', m.from)
          .attr('data-id', m.id)
          .appendTo($box);
      });
    });
  }

  // ---- customer side -----------------------------------------------------------------------------
  function unread(conversation) {
    return conversation.messages.filter(function (m) {
      return m.from === 'manager' && m.status !== 'read';
    }).length;
  }

  function renderCustomer() {
    var conversations = state.customer.conversations;
    if (
      !conversations.some(function (c) {
        return c.conversationId === selectedConversation;
      })
    ) {
      selectedConversation = conversations.length ? conversations[0].conversationId : null;
    }
    var $tabs = $('#conversations').empty();
    conversations.forEach(function (c) {
      var $tab = $('<button type="button" class="conv"></button>')
        .attr('data-conversation', c.conversationId)
        .toggleClass('conv--active', c.conversationId === selectedConversation)
        .text(c.customer.name);
      var n = c.conversationId === selectedConversation ? 0 : unread(c);
      if (n) $('<span class="conv__badge"></span>').text(n).appendTo($tab);
      $tab.appendTo($tabs);
    });
    var c = conversations.filter(function (x) {
      return x.conversationId === selectedConversation;
    })[0];
    $('#customer-head')
      .empty()
      .text(c ? 'You are ' + c.customer.name + ' ' : 'You are a new customer ')
      .append(
        $('<small></small>').text(
          c
            ? '· conversation ' + c.conversationId + (c.customer.phone ? ' · +' + c.customer.phone : '') + (c.channel ? ' · channel ' + c.channel : '')
            : '· your first message starts a conversation',
        ),
      );
    $('#customer-typing').text(c && c.typing ? 'manager is typing…' : '');
    var $box = $('#customer-messages');
    keepScroll($box, function () {
      $box.empty();
      if (!c || !c.messages.length) {
        $('<p class="empty">Say hello: the message goes through POST /api/v1/messages, like a real provider’s.</p>').appendTo($box);
        return;
      }
      c.messages.forEach(function (m) {
        bubble(m.text, m.from === 'customer', {
          author: m.from === 'manager' ? 'Manager' : null,
          kind: m.kind,
          attachment: m.attachment,
          at: m.at,
          status: m.status,
          error: m.error,
        })
          .addClass('cust-msg')
          .attr('data-from', m.from)
          .attr('data-id', m.id || '')
          .appendTo($box);
      });
    });
    markShownAsRead(c);
  }

  // The customer saw the manager's messages: the demo provider reports "read" (after "delivered").
  function markShownAsRead(c) {
    if (!c || document.visibilityState !== 'visible' || readInFlight[c.conversationId]) return;
    var pending = c.messages.some(function (m) {
      return m.from === 'manager' && m.status === 'delivered';
    });
    if (!pending) return;
    readInFlight[c.conversationId] = true;
    setTimeout(function () {
      api('POST', '/customer/read', { conversation_id: c.conversationId }).always(function () {
        readInFlight[c.conversationId] = false;
        scheduleRefresh();
      });
    }, 900);
  }

  // ---- channels, sources, pipelines ---------------------------------------------------------------
  // Each channel of the demo login with its amoCRM source and pipeline; the write-first picker lists
  // the sources amoCRM has (none until the integration is installed).
  function renderSources() {
    var amo = state.amocrm || { channels: [], pipelines: null };
    var pipelineName = {};
    (amo.pipelines || []).forEach(function (p) {
      pipelineName[p.id] = p.name;
    });
    var $box = $('#amo-sources').empty();
    if (amo.channels.length) {
      $('<span class="amo-sources__label"></span>').text('Channels → amoCRM sources').appendTo($box);
      amo.channels.forEach(function (c) {
        var where = c.external_id ? (pipelineName[c.pipeline_id] || 'pipeline ' + (c.pipeline_id || '?')) + ' · ' + c.state : 'no source yet';
        $('<span class="amo-source"></span>')
          .text((c.name || c.id) + ' → ' + where)
          .appendTo($box);
      });
      if (amo.pipelines === null) $('<small></small>').text(' (pipelines appear once the integration is installed)').appendTo($box);
    }
    // amoCRM's write-first list is the account's sources: read from the emulated amoCRM when known.
    var account = state.amocrmAccount;
    var offered =
      account && account.sources.length
        ? account.sources.map(function (s) {
            return { external_id: s.external_id, name: s.name };
          })
        : amo.channels.filter(function (c) {
            return c.external_id;
          });
    var $select = $('#wf-source');
    var chosen = $select.val();
    $select.find('option:not(:first)').remove();
    offered.forEach(function (c) {
      $('<option></option>').attr('value', c.external_id).text(c.name).appendTo($select);
    });
    $select.val($select.find('option[value="' + chosen + '"]').length ? chosen : '');
  }

  // ---- install step: the amoCRM account, its pipelines and sources ---------------------------------
  function renderAccount() {
    var account = state.amocrmAccount;
    var installed = Boolean(account && account.installation === 'installed');
    $('#install-status')
      .text(account && account.installation ? account.installation : 'not installed')
      .toggleClass('pill--ok', installed);
    $('#install-button').text(installed ? 'Install again' : 'Install the integration');
    var $box = $('#amo-account').empty();
    if (!account) return;
    function row(label, value) {
      $('<dt></dt>').text(label).appendTo($box);
      $('<dd></dd>').text(value).appendTo($box);
    }
    row('account', account.account.name + ' · ' + account.account.domain + ' (id ' + account.account.id + ')');
    row(
      'pipelines',
      account.pipelines
        .map(function (p) {
          return p.name + ' (' + p.id + ')';
        })
        .join(', ') || 'none',
    );
    if (!account.sources.length) row('sources', installed ? 'none yet: connect the widget, the server creates one per channel' : 'none: install, then connect');
    account.sources.forEach(function (s, i) {
      row(i === 0 ? 'sources' : '', s.name + ' · external_id ' + s.external_id + ' · ' + (s.pipeline_name || 'pipeline ' + s.pipeline_id));
    });
  }

  $('#install-button').on('click', function () {
    showError('#install-error', '');
    $('#install-button').prop('disabled', true);
    api('POST', '/amocrm/install')
      .then(
        function (result) {
          // The callback's answer, as amoCRM gets it.
          $('#install-result').text(
            'GET /amocrm/v1/oauth/callback → ' +
              result.status +
              ': ' +
              result.domain +
              ', amojo_id ' +
              result.amojo_id +
              (result.reinstalled ? ' (re-installed)' : ''),
          );
          return refresh();
        },
        function (message) {
          showError('#install-error', message);
        },
      )
      .always(function () {
        $('#install-button').prop('disabled', false);
      });
  });

  // ---- state -------------------------------------------------------------------------------------
  var refreshTimer = null;
  function refresh() {
    refreshTimer = null;
    return api('GET', '/state').then(function (next) {
      state = next;
      renderInbox();
      renderCustomer();
      renderSources();
      renderAccount();
    });
  }
  function scheduleRefresh() {
    if (!refreshTimer) refreshTimer = setTimeout(refresh, 120);
  }
  setInterval(scheduleRefresh, 2500);

  function showError(selector, message) {
    $(selector).text(message || '');
  }

  $('#chat-list').on('click', '.chat', function () {
    selectedChat = $(this).attr('data-chat');
    renderInbox();
  });
  $('#conversations').on('click', '.conv', function () {
    selectedConversation = $(this).attr('data-conversation');
    renderCustomer();
  });

  $('#reply-form').on('submit', function (e) {
    e.preventDefault();
    var text = $.trim($('#reply-text').val());
    if (!text || !selectedChat) return;
    showError('#amo-error', '');
    api('POST', '/inbox/reply', { chat_id: selectedChat, text: text }).then(
      function () {
        $('#reply-text').val('');
        scheduleRefresh();
      },
      function (message) {
        showError('#amo-error', message);
      },
    );
  });

  $('#write-first-form').on('submit', function (e) {
    e.preventDefault();
    var phone = $.trim($('#wf-phone').val());
    var text = $.trim($('#wf-text').val());
    if (!phone || !text) return showError('#amo-error', 'Write first needs a phone number and a message.');
    showError('#amo-error', '');
    var source = $('#wf-source').val();
    api('POST', '/inbox/write-first', source ? { phone: phone, text: text, source_external_id: source } : { phone: phone, text: text }).then(
      function (reply) {
        $('#wf-text').val('');
        selectedChat = reply.chatId;
        scheduleRefresh();
      },
      function (message) {
        showError('#amo-error', message);
      },
    );
  });

  $('#customer-form').on('submit', function (e) {
    e.preventDefault();
    var text = $.trim($('#customer-text').val());
    if (!text) return;
    showError('#customer-error', '');
    $('#customer-send').prop('disabled', true);
    api('POST', '/customer/send', selectedConversation ? { conversation_id: selectedConversation, text: text } : { text: text })
      .then(
        function (message) {
          $('#customer-text').val('');
          if (message.status === 'failed') showError('#customer-error', message.error);
          return refresh();
        },
        function (message) {
          showError('#customer-error', message);
        },
      )
      .always(function () {
        $('#customer-send').prop('disabled', false);
      });
  });

  $('#new-customer-form').on('submit', function (e) {
    e.preventDefault();
    var name = $.trim($('#new-customer-name').val());
    api('POST', '/customer/new', name ? { name: name } : {}).then(
      function (reply) {
        $('#new-customer-name').val('');
        selectedConversation = reply.conversation_id;
        return refresh();
      },
      function (message) {
        showError('#customer-error', message);
      },
    );
  });

  document.addEventListener('visibilitychange', scheduleRefresh);

  // Every record in the log (event-log.js) may have changed what the panes show.
  window.amochanEventLog.start({ onRecord: scheduleRefresh, onReady: scheduleRefresh, time: time });
  refresh();
})();
