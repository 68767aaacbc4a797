// The portal's own behaviour (no inline scripts: the CSP is script-src 'self').
// Every page works without it; with it:
// 1. forms (or their submit buttons) with data-confirm ask for confirmation in <dialog class="confirm-dialog">
//    before they are sent (plain forms and htmx forms alike);
// 2. a failed htmx request never replaces what the user typed: its message
//    (an HTML fragment from the server) goes into the nearest .htmx-error slot,
//    a conflict (409) offers to reload the current version, a network failure
//    says so, and a later success clears the slot;
// 3. on narrow screens the header navigation folds into a menu button.
// Texts come from data attributes on <body> (the message catalogs, in the
// page's language).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function bodyText(name, fallback) {
    var body = document.body;
    return (body && body.dataset && body.dataset[name]) || fallback || "";
  }

  // ---- 1. Confirmation -------------------------------------------------

  var dialog = null;

  function confirmDialog() {
    if (dialog) {
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-text");
    var title = document.createElement("h2");
    title.id = "confirm-dialog-title";
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    var buttons = document.createElement("div");
    buttons.className = "confirm-buttons";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "confirm-cancel button-secondary";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "confirm-ok";
    buttons.appendChild(cancel);
    buttons.appendChild(ok);
    dialog.appendChild(title);
    dialog.appendChild(text);
    dialog.appendChild(buttons);
    document.body.appendChild(dialog);
    return dialog;
  }

  function submitButtonOf(form, submitter) {
    if (submitter) {
      return submitter;
    }
    return form.querySelector(
      "button[type=submit], button:not([type]), input[type=submit]"
    );
  }

  // Where the confirmation texts are: on the button pressed (a form with
  // several buttons confirms only some), else on the form.
  function confirmSource(form, submitter) {
    if (submitter && submitter.dataset && submitter.dataset.confirm) {
      return submitter;
    }
    return form && form.dataset && form.dataset.confirm ? form : null;
  }

  // Opens the dialog for `form`; calls `proceed` when the user confirms.
  function askToConfirm(form, submitter, proceed) {
    var d = confirmDialog();
    var source = confirmSource(form, submitter) || form;
    var button = submitButtonOf(form, submitter);
    var danger = !!(button && button.classList.contains("button-danger"));
    var buttonLabel = button ? (button.value && button.tagName === "INPUT" ? button.value : button.textContent.trim()) : "";
    d.querySelector("h2").textContent =
      source.dataset.confirmTitle || bodyText("confirmTitle", "");
    d.querySelector("p").textContent = source.dataset.confirm;
    var cancel = d.querySelector(".confirm-cancel");
    var ok = d.querySelector(".confirm-ok");
    cancel.textContent = bodyText("confirmCancel", "");
    ok.textContent = source.dataset.confirmOk || buttonLabel || bodyText("confirmOk", "");
    ok.className = danger ? "confirm-ok button-danger" : "confirm-ok";
    var finished = false;
    function close(confirmed) {
      if (finished) {
        return;
      }
      finished = true;
      ok.onclick = null;
      cancel.onclick = null;
      d.onclose = null;
      if (d.open) {
        d.close();
      }
      if (confirmed) {
        proceed();
      } else if (button && typeof button.focus === "function") {
        button.focus();
      }
    }
    ok.onclick = function () {
      close(true);
    };
    cancel.onclick = function () {
      close(false);
    };
    // Escape closes the dialog: that is a cancel.
    d.onclose = function () {
      close(false);
    };
    if (typeof d.showModal === "function") {
      d.showModal();
      cancel.focus();
    } else if (window.confirm(source.dataset.confirm)) {
      close(true);
    } else {
      close(false);
    }
  }

  function isHtmx(element) {
    return !!(
      element &&
      element.matches &&
      element.matches(
        "[hx-post],[hx-put],[hx-patch],[hx-delete],[hx-get]," +
          "[data-hx-post],[data-hx-put],[data-hx-patch],[data-hx-delete],[data-hx-get]"
      )
    );
  }

  // Plain forms: hold the submit, send it again once confirmed.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !confirmSource(form, event.submitter)) {
        return;
      }
      if (isHtmx(form) || isHtmx(event.submitter)) {
        return; // htmx asks through htmx:confirm
      }
      if (form.dataset.confirmed === "yes") {
        delete form.dataset.confirmed;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      var submitter = event.submitter || null;
      askToConfirm(form, submitter, function () {
        form.dataset.confirmed = "yes";
        if (typeof form.requestSubmit === "function") {
          if (submitter && submitter.form === form) {
            form.requestSubmit(submitter);
          } else {
            form.requestSubmit();
          }
        } else {
          delete form.dataset.confirmed;
          form.submit();
        }
      });
    },
    true
  );

  // htmx forms: htmx fires htmx:confirm before every request.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest) {
      return;
    }
    var trigger = event.detail.triggeringEvent;
    var submitter = (trigger && trigger.submitter) || null;
    var form = elt.closest("form");
    if (!confirmSource(form, submitter)) {
      form = elt.closest("[data-confirm]");
      if (!form) {
        return;
      }
    }
    event.preventDefault();
    askToConfirm(form, submitter, function () {
      event.detail.issueRequest(true);
    });
  });

  // ---- 2. htmx failures -------------------------------------------------

  function errorSlot(elt) {
    if (elt && elt.closest) {
      var scopes = [elt.closest("[data-error-scope]"), elt.closest("form")];
      for (var i = 0; i < scopes.length; i++) {
        var slot = scopes[i] && scopes[i].querySelector(".htmx-error");
        if (slot) {
          return slot;
        }
      }
    }
    return document.getElementById("htmx-errors");
  }

  function messageElement(text) {
    var div = document.createElement("div");
    div.className = "alert alert-error";
    div.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    div.appendChild(p);
    return div;
  }

  // The server's fragment (div.alert), or a generic message when the answer
  // is something else (a proxy's page, plain text).
  function alertFrom(responseText, status) {
    var template = document.createElement("template");
    template.innerHTML = responseText || "";
    var alert = template.content.querySelector(".alert");
    if (alert) {
      return alert;
    }
    return messageElement(bodyText("errorGeneric", "") + " (" + status + ")");
  }

  function show(slot, alert, status) {
    if (!slot) {
      return;
    }
    slot.replaceChildren(alert);
    // A conflict offers the latest content; a refusal (data-refusal) has
    // nothing newer to load.
    if (status === 409 && !alert.hasAttribute("data-refusal")) {
      var reload = document.createElement("button");
      reload.type = "button";
      reload.className = "reload-current button-secondary";
      reload.textContent = bodyText("reloadCurrent", "");
      reload.addEventListener("click", function () {
        window.location.reload();
      });
      alert.appendChild(reload);
    }
    slot.hidden = false;
  }

  // The element that made the request (htmx fires htmx:beforeSwap on the
  // target, which may lie outside the form).
  function requester(detail) {
    return (detail && detail.requestConfig && detail.requestConfig.elt) || (detail && detail.elt);
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status < 400) {
      return;
    }
    // A form marked data-swap-invalid answers a refusal (422) with itself
    // re-rendered: errors next to the fields, what was typed kept.
    var elt = requester(event.detail);
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (xhr.status === 422 && form && form.hasAttribute("data-swap-invalid")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    event.detail.shouldSwap = false;
    event.detail.ismapHandled = true;
    show(errorSlot(requester(event.detail)), alertFrom(xhr.responseText, xhr.status), xhr.status);
  });

  document.addEventListener("htmx:sendError", function (event) {
    show(errorSlot(requester(event.detail)), messageElement(bodyText("networkError", "")), 0);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    var elt = requester(detail);
    if (!detail || !detail.successful || !elt || !elt.isConnected) {
      return;
    }
    var slot = errorSlot(elt);
    if (slot && slot.firstChild) {
      slot.replaceChildren();
    }
  });

  // ---- 3. Menu button on narrow screens --------------------------------

  function setUpMenu() {
    var button = document.querySelector(".menu-toggle");
    if (!button) {
      return;
    }
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {
      return;
    }
    button.hidden = false;
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        nav.classList.remove("is-open");
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpMenu);
  } else {
    setUpMenu();
  }
})();
