// The opportunity board: drag a card to another stage, or move it with the arrow keys.
// Both post the fields of the card's own "Move to" form (stage, version) to its move address,
// through htmx, which swaps the board the server draws back in (or follows HX-Redirect to the
// form asking why it was lost). Without JavaScript the "Move to" form does the same.
(function () {
  "use strict";

  var dragged = null;
  var focusAfterSwap = null;

  function board() {
    return document.getElementById("board");
  }

  function dropZone(target) {
    return target && target.closest ? target.closest("#board [data-drop-stage]") : null;
  }

  function move(card, stage) {
    if (!card || !stage || stage === card.getAttribute("data-stage")) {
      return;
    }
    var container = board();
    var query = container ? container.getAttribute("data-board-query") : "";
    var url = card.getAttribute("data-move-url") + (query ? "?" + query : "");
    focusAfterSwap = card.id;
    card.classList.add("is-moving");
    if (container) {
      container.setAttribute("aria-busy", "true");
    }
    if (window.htmx) {
      // The card is the source so the request carries the page's hx-headers (the CSRF token).
      window.htmx.ajax("POST", url, {
        source: card,
        target: "#board",
        swap: "outerHTML",
        values: { stage: stage, version: card.getAttribute("data-version") }
      });
      return;
    }
    var form = card.querySelector("form.board-move");
    if (form) {
      form.elements.stage.value = stage;
      form.submit();
    }
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".board-card[draggable='true']") : null;
    if (!card) {
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-opportunity"));
    card.classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    document.querySelectorAll("#board .is-over").forEach(function (zone) {
      zone.classList.remove("is-over");
    });
  });

  document.addEventListener("dragover", function (event) {
    var zone = dropZone(event.target);
    if (!zone || !dragged) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("is-over");
  });

  document.addEventListener("dragleave", function (event) {
    var zone = dropZone(event.target);
    if (zone && !zone.contains(event.relatedTarget)) {
      zone.classList.remove("is-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var zone = dropZone(event.target);
    if (!zone || !dragged) {
      return;
    }
    event.preventDefault();
    zone.classList.remove("is-over");
    var card = dragged;
    dragged = null;
    card.classList.remove("is-dragging");
    move(card, zone.getAttribute("data-drop-stage"));
  });

  // The keyboard: on a focused card, the left and right arrows move it one open stage over.
  document.addEventListener("keydown", function (event) {
    var card = event.target;
    if (!card.matches || !card.matches(".board-card[draggable='true']")) {
      return;
    }
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") {
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var columns = Array.prototype.slice.call(document.querySelectorAll("#board .board-column"));
    var index = columns.indexOf(card.closest(".board-column"));
    var next = columns[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (index < 0 || !next) {
      return;
    }
    event.preventDefault();
    move(card, next.getAttribute("data-drop-stage"));
  });

  // After the board is drawn again, keep the focus on the card that moved (or the board).
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusAfterSwap) {
      return;
    }
    var card = document.getElementById(focusAfterSwap);
    focusAfterSwap = null;
    if (card) {
      card.focus();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var container = board();
    if (container && container.contains(event.detail.elt)) {
      // A refusal the board cannot draw (e.g. no longer allowed): show the page as it stands.
      window.location.reload();
    }
  });
})();
