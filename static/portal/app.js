// The portal's only script of its own; the Content-Security-Policy allows no inline script
// (no onclick="..."), so behaviour is declared with data- attributes and handled here.
"use strict";

// <button data-confirm="..."> or <form data-confirm="...">: ask before the form is sent.
// Listening on the document in the capture phase also covers forms htmx swaps in later, and
// stopping the event there keeps htmx's own submit handler from sending a refused form.
document.addEventListener(
  "submit",
  function (event) {
    var form = event.target;
    var button = event.submitter;
    var message =
      (button && button.getAttribute("data-confirm")) ||
      (form && form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopPropagation();
    }
  },
  true
);
