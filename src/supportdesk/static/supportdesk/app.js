/* Progressive enhancement only: every page works without this file (and without htmx). */
(function () {
  "use strict";

  function focusIn(root, selector) {
    var target = root && root.querySelector(selector);
    if (target) {
      target.focus();
    }
  }

  // A page that comes back with errors puts the keyboard on the error summary.
  document.addEventListener("DOMContentLoaded", function () {
    focusIn(document, ".error-summary[data-autofocus]");
  });

  // After htmx swaps a wizard step or an action's form in, move focus to it (or its error
  // summary), as a full page load would have done for a screen reader.
  document.addEventListener("htmx:afterSettle", function (event) {
    focusIn(document.getElementById("wizard"), "[data-autofocus]");
    var panel = document.getElementById("action-panel");
    if (panel && panel.contains(event.detail.elt)) {
      focusIn(panel, "[data-autofocus]");
    }
    var composer = document.getElementById("composer");
    if (composer && event.detail.elt === composer) {
      focusIn(composer, ".error-summary[data-autofocus]");
    }
  });

  // Conflicts (409: "this case changed", "already taken by …") carry a page to show: swap
  // them in like any answer instead of treating them as failures.
  if (window.htmx) {
    window.htmx.config.responseHandling.unshift({ code: "409", swap: true });
  }

  // The case page: "Cancel" closes the inline form; choosing from the actions menu closes it.
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-close-panel]");
    var panel = document.getElementById("action-panel");
    if (cancel && panel && panel.contains(cancel)) {
      event.preventDefault();
      panel.innerHTML = "";
      return;
    }
    var entry = event.target.closest(".menu-panel a");
    if (entry) {
      entry.closest("details").removeAttribute("open");
    }
  });

  // The bell polls only while the tab is visible (in JS: the CSP forbids htmx's eval'd filters).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "bell" && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });

  // An error answer (e.g. 404 after losing access to the record) is shown as a normal page.
  document.addEventListener("htmx:responseError", function (event) {
    var info = event.detail.pathInfo || {};
    window.location.assign(info.finalRequestPath || info.requestPath || window.location.href);
  });

  // ---- @mention suggestions --------------------------------------------------------------
  // A textarea or input with data-mention-url asks the server for people whose username or
  // name starts with what follows "@" (inputs with data-mention-plain: the whole value) and
  // offers them in a list (arrows + Enter, or a click). Without JS, typing @username works.
  // Team handles come as "Ask <team> for help" entries that go to that page when chosen.

  var MENTION_BEFORE = /(^|[^\w@\/])@([A-Za-z0-9_.+-]*)$/;
  var mentionTimer = null;
  var mentionRequest = 0;

  function mentionQuery(field) {
    if (field.hasAttribute("data-mention-plain")) {
      var value = field.value.trim().replace(/^@/, "");
      return value ? { q: value, start: 0 } : null;
    }
    var before = field.value.slice(0, field.selectionStart);
    var match = MENTION_BEFORE.exec(before);
    if (!match || !match[2]) {
      return null;
    }
    return { q: match[2], start: before.length - match[2].length - 1 };
  }

  // aria-expanded belongs to a combobox: a one-line input becomes one; a textarea may take no
  // other role, so it keeps textbox semantics (aria-autocomplete, aria-activedescendant).
  function setMentionsExpanded(field, expanded) {
    if (field.getAttribute("role") === "combobox") {
      field.setAttribute("aria-expanded", expanded ? "true" : "false");
    }
  }

  function mentionMenu(field, create) {
    var id = field.id + "-mentions";
    var menu = document.getElementById(id);
    if (!menu && create) {
      menu = document.createElement("div");
      menu.id = id;
      menu.className = "mention-menu";
      menu.hidden = true;
      field.parentNode.classList.add("mention-host");
      field.insertAdjacentElement("afterend", menu);
      field.setAttribute("aria-autocomplete", "list");
      field.setAttribute("aria-controls", id);
      if (field.tagName === "INPUT") {
        field.setAttribute("role", "combobox");
      }
      setMentionsExpanded(field, false);
    }
    return menu;
  }

  function closeMentions(field) {
    var menu = mentionMenu(field, false);
    if (menu) {
      menu.hidden = true;
      menu.innerHTML = "";
      setMentionsExpanded(field, false);
      field.removeAttribute("aria-activedescendant");
    }
  }

  function mentionOptions(field) {
    var menu = mentionMenu(field, false);
    return menu && !menu.hidden ? Array.prototype.slice.call(menu.querySelectorAll('[role="option"]')) : [];
  }

  function highlightMention(field, index) {
    var options = mentionOptions(field);
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (options[index]) {
      field.setAttribute("aria-activedescendant", options[index].id);
    }
  }

  function chooseMention(field, option) {
    // A team is never mentioned: its entry opens "Ask <team> for help" (a linked request).
    var href = option.getAttribute("data-href");
    if (href) {
      closeMentions(field);
      window.location.assign(href);
      return;
    }
    var query = mentionQuery(field);
    var username = option.getAttribute("data-username");
    if (field.hasAttribute("data-mention-plain")) {
      field.value = username;
    } else if (query) {
      var caret = field.selectionStart;
      var text = "@" + username + " ";
      field.value = field.value.slice(0, query.start) + text + field.value.slice(caret);
      field.selectionStart = field.selectionEnd = query.start + text.length;
    }
    closeMentions(field);
    field.focus();
  }

  function suggestMentions(field) {
    var query = mentionQuery(field);
    if (!query) {
      closeMentions(field);
      return;
    }
    var ticket = ++mentionRequest;
    var url = field.getAttribute("data-mention-url") + "?q=" + encodeURIComponent(query.q);
    if (field.hasAttribute("data-mention-plain")) {
      url += "&teams=0"; // a field that names one person (a watcher) offers no teams
    }
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (ticket !== mentionRequest || !html) {
          return;
        }
        var menu = mentionMenu(field, true);
        menu.innerHTML = html;
        menu.querySelectorAll('[role="option"]').forEach(function (option) {
          option.id = field.id + "-" + option.id;
        });
        menu.hidden = false;
        setMentionsExpanded(field, true);
        highlightMention(field, 0);
      })
      .catch(function () {
        closeMentions(field);
      });
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-mention-url]")) {
      return;
    }
    window.clearTimeout(mentionTimer);
    mentionTimer = window.setTimeout(function () {
      suggestMentions(field);
    }, 150);
  });

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-mention-url]")) {
      return;
    }
    var options = mentionOptions(field);
    if (!options.length) {
      return;
    }
    var current = options.findIndex(function (o) {
      return o.getAttribute("aria-selected") === "true";
    });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlightMention(field, (current + step + options.length) % options.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && current >= 0) {
      event.preventDefault();
      chooseMention(field, options[current]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeMentions(field);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest(".mention-menu [role='option']");
    if (option) {
      event.preventDefault(); // keep the focus (and the caret) in the field
      var field = document.querySelector('[aria-controls="' + option.closest(".mention-menu").id + '"]');
      if (field) {
        chooseMention(field, option);
      }
    }
  });

  document.addEventListener("focusout", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-mention-url]")) {
      window.setTimeout(function () {
        closeMentions(field);
      }, 150);
    }
  });
})();
