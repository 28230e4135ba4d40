// The account map page: pan and zoom by the viewBox, the side panel, and drag-and-drop of a
// person onto their new manager. The server draws the map; this file only moves the view and
// asks the server for changes, then swaps in the drawing it sends back.
(function () {
  "use strict";

  var canvas = document.getElementById("map-canvas");
  if (!canvas) {
    return;
  }
  var panel = document.getElementById("map-person");
  var alertBox = document.getElementById("map-alert");
  var statusBox = document.getElementById("map-status");
  var canChange = canvas.getAttribute("data-can-change") === "true";
  var query = canvas.getAttribute("data-query") || "";
  var emptyPanel = panel ? panel.innerHTML : "";
  var STORE_KEY = "rapport-map-view";
  var MIN_SCALE = 0.08;
  var MAX_SCALE = 3;
  var DRAG_THRESHOLD = 6;

  // The view: the map point at the centre of the canvas, and screen pixels per map unit.
  var view = { cx: 0, cy: 0, scale: 1 };
  var selectedId = null;

  function drawing() {
    return canvas.querySelector("svg");
  }

  function mapSize() {
    var svg = drawing();
    return {
      width: parseFloat(svg.getAttribute("data-map-width")) || 1,
      height: parseFloat(svg.getAttribute("data-map-height")) || 1,
    };
  }

  function apply() {
    var svg = drawing();
    if (!svg) {
      return;
    }
    var width = canvas.clientWidth / view.scale;
    var height = canvas.clientHeight / view.scale;
    svg.setAttribute(
      "viewBox",
      [view.cx - width / 2, view.cy - height / 2, width, height].map(function (n) {
        return n.toFixed(2);
      }).join(" ")
    );
  }

  function clampScale(scale) {
    return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
  }

  // Never enlarged past its natural size: three cards blown up to fill the screen look wrong.
  function fit() {
    var size = mapSize();
    view.scale = clampScale(
      Math.min(1, canvas.clientWidth / size.width, canvas.clientHeight / size.height)
    );
    view.cx = size.width / 2;
    view.cy = size.height / 2;
    apply();
  }

  // A big map fitted whole would be too small to read: start at a readable size on the top
  // of the largest reporting tree instead.
  function initialView() {
    // A wide, shallow map would leave the canvas mostly empty: shorten it to the drawing.
    var size = mapSize();
    var scale = Math.min(1, canvas.clientWidth / size.width);
    var wanted = Math.ceil(size.height * scale + 16);
    if (wanted < canvas.clientHeight) {
      canvas.style.height = Math.max(wanted, 480) + "px";
    }
    fit();
    if (view.scale >= 0.6) {
      return;
    }
    var root = largestTreeRoot();
    view.scale = 0.8;
    if (root) {
      var box = cardBox(root);
      view.cx = box.x + box.width / 2;
      view.cy = box.y - 40 + canvas.clientHeight / view.scale / 2;
    }
    apply();
  }

  function largestTreeRoot() {
    var cards = canvas.querySelectorAll(".map-card");
    var children = {};
    cards.forEach(function (card) {
      var manager = card.getAttribute("data-manager-id");
      if (manager) {
        (children[manager] = children[manager] || []).push(card.getAttribute("data-person-id"));
      }
    });
    function count(id) {
      var stack = (children[id] || []).slice();
      var total = 0;
      while (stack.length && total < 100000) {
        var next = stack.pop();
        total += 1;
        stack.push.apply(stack, children[next] || []);
      }
      return total;
    }
    var best = null;
    var bestCount = -1;
    cards.forEach(function (card) {
      if (!card.getAttribute("data-manager-id")) {
        var size = count(card.getAttribute("data-person-id"));
        if (size > bestCount) {
          best = card;
          bestCount = size;
        }
      }
    });
    return best;
  }

  function cardBox(card) {
    var match = /translate\(([-\d.]+)[ ,]+([-\d.]+)\)/.exec(card.getAttribute("transform") || "");
    var shape = card.querySelector(".map-card-shape");
    return {
      x: match ? parseFloat(match[1]) : 0,
      y: match ? parseFloat(match[2]) : 0,
      width: parseFloat(shape.getAttribute("width")),
      height: parseFloat(shape.getAttribute("height")),
    };
  }

  function findCard(id) {
    return canvas.querySelector('.map-card[data-person-id="' + String(id) + '"]');
  }

  function zoomAt(factor, screenX, screenY) {
    var rect = canvas.getBoundingClientRect();
    var x = screenX === undefined ? rect.width / 2 : screenX - rect.left;
    var y = screenY === undefined ? rect.height / 2 : screenY - rect.top;
    // Keep the map point under the pointer where it is.
    var pointX = view.cx + (x - rect.width / 2) / view.scale;
    var pointY = view.cy + (y - rect.height / 2) / view.scale;
    view.scale = clampScale(view.scale * factor);
    view.cx = pointX - (x - rect.width / 2) / view.scale;
    view.cy = pointY - (y - rect.height / 2) / view.scale;
    apply();
  }

  function say(message) {
    statusBox.textContent = message;
  }

  function showAlert(message) {
    alertBox.textContent = message;
    alertBox.hidden = false;
  }

  function hideAlert() {
    alertBox.hidden = true;
    alertBox.textContent = "";
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function personUrl(template, id) {
    var url = template.replace(/\/people\/0\//, "/people/" + String(id) + "/");
    return query ? url + "?" + query : url;
  }

  function select(id) {
    canvas.querySelectorAll(".map-card.is-selected").forEach(function (card) {
      card.classList.remove("is-selected");
    });
    selectedId = id;
    var card = id === null ? null : findCard(id);
    if (card) {
      card.classList.add("is-selected");
    }
  }

  function openPanel(id) {
    select(id);
    hideAlert();
    window.htmx
      .ajax("GET", personUrl(canvas.getAttribute("data-person-url"), id), {
        target: "#map-person",
        swap: "innerHTML",
      })
      .then(function () {
        var heading = document.getElementById("map-person-name");
        if (heading) {
          heading.focus({ preventScroll: true });
        }
      });
  }

  function closePanel() {
    panel.innerHTML = emptyPanel;
    var card = selectedId === null ? null : findCard(selectedId);
    select(null);
    if (card) {
      card.focus();
    }
  }

  function moveTo(personId, managerId, card) {
    var body = new URLSearchParams();
    body.set("manager", managerId);
    fetch(personUrl(canvas.getAttribute("data-move-url"), personId), {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body,
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          card.setAttribute("transform", card.getAttribute("data-home"));
          showAlert(result.data.message);
          return;
        }
        hideAlert();
        canvas.innerHTML = result.data.svg;
        say(result.data.message);
        if (selectedId === personId) {
          openPanel(personId);
        }
      })
      .catch(function () {
        card.setAttribute("transform", card.getAttribute("data-home"));
        showAlert(canvas.getAttribute("data-message-failed"));
      });
  }

  // Pointer: drag the background to pan; press a card to open it, or drag it onto another.
  var gesture = null;

  canvas.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || event.target.closest(".map-toggle")) {
      return;
    }
    var card = event.target.closest(".map-card");
    gesture = {
      pointerId: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      lastX: event.clientX,
      lastY: event.clientY,
      card: card,
      moved: false,
      target: null,
    };
    if (card) {
      card.setAttribute("data-home", card.getAttribute("transform"));
    }
    canvas.setPointerCapture(event.pointerId);
  });

  canvas.addEventListener("pointermove", function (event) {
    if (!gesture || event.pointerId !== gesture.pointerId) {
      return;
    }
    var distance = Math.hypot(event.clientX - gesture.startX, event.clientY - gesture.startY);
    if (!gesture.moved && distance < DRAG_THRESHOLD) {
      return;
    }
    gesture.moved = true;
    if (gesture.card && canChange) {
      dragCard(event);
    } else {
      // Whoever may not move people pans the map from a card as from the background.
      canvas.classList.add("is-panning");
      view.cx -= (event.clientX - gesture.lastX) / view.scale;
      view.cy -= (event.clientY - gesture.lastY) / view.scale;
      apply();
    }
    gesture.lastX = event.clientX;
    gesture.lastY = event.clientY;
  });

  function dragCard(event) {
    var card = gesture.card;
    if (!gesture.home) {
      gesture.home = cardBox(card);
      card.classList.add("is-dragging");
      // Drawn last, so the card passes over the others while it moves.
      card.parentNode.appendChild(card);
    }
    var dx = (event.clientX - gesture.startX) / view.scale;
    var dy = (event.clientY - gesture.startY) / view.scale;
    card.setAttribute(
      "transform",
      "translate(" + (gesture.home.x + dx).toFixed(1) + " " + (gesture.home.y + dy).toFixed(1) + ")"
    );
    var under = document.elementFromPoint(event.clientX, event.clientY);
    var target = under ? under.closest(".map-card") : null;
    if (target === card) {
      target = null;
    }
    if (gesture.target && gesture.target !== target) {
      gesture.target.classList.remove("is-drop-target");
    }
    if (target) {
      target.classList.add("is-drop-target");
    }
    gesture.target = target;
  }

  function endGesture(event, cancelled) {
    if (!gesture || event.pointerId !== gesture.pointerId) {
      return;
    }
    var finished = gesture;
    gesture = null;
    canvas.classList.remove("is-panning");
    if (canvas.hasPointerCapture(event.pointerId)) {
      canvas.releasePointerCapture(event.pointerId);
    }
    var card = finished.card;
    if (!card) {
      return;
    }
    card.classList.remove("is-dragging");
    if (finished.target) {
      finished.target.classList.remove("is-drop-target");
    }
    if (!finished.moved) {
      if (!cancelled) {
        openPanel(card.getAttribute("data-person-id"));
      }
      return;
    }
    if (cancelled || !finished.target || !canChange) {
      card.setAttribute("transform", card.getAttribute("data-home"));
      return;
    }
    moveTo(
      card.getAttribute("data-person-id"),
      finished.target.getAttribute("data-person-id"),
      card
    );
  }

  canvas.addEventListener("pointerup", function (event) {
    endGesture(event, false);
  });
  canvas.addEventListener("pointercancel", function (event) {
    endGesture(event, true);
  });

  canvas.addEventListener(
    "wheel",
    function (event) {
      event.preventDefault();
      zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX, event.clientY);
    },
    { passive: false }
  );

  canvas.addEventListener("keydown", function (event) {
    var card = event.target.closest(".map-card");
    if (card && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      openPanel(card.getAttribute("data-person-id"));
    }
  });

  // A card reached with Tab is brought into view.
  canvas.addEventListener("focusin", function (event) {
    var card = event.target.closest(".map-card, .map-toggle");
    if (!card || !card.getBoundingClientRect) {
      return;
    }
    var rect = canvas.getBoundingClientRect();
    var box = card.getBoundingClientRect();
    if (box.left < rect.left || box.right > rect.right || box.top < rect.top || box.bottom > rect.bottom) {
      view.cx += (box.left + box.width / 2 - (rect.left + rect.width / 2)) / view.scale;
      view.cy += (box.top + box.height / 2 - (rect.top + rect.height / 2)) / view.scale;
      apply();
    }
  });

  // Collapsing or expanding a branch reloads the page: keep the card that was pressed at the
  // same place on screen, at the same zoom, so the map does not jump.
  canvas.addEventListener("click", function (event) {
    var toggle = event.target.closest(".map-toggle");
    if (!toggle) {
      return;
    }
    var card = findCard(toggle.getAttribute("data-person-id"));
    if (card) {
      var box = cardBox(card);
      var saved = {
        path: window.location.pathname,
        id: toggle.getAttribute("data-person-id"),
        offsetX: (box.x - view.cx) * view.scale,
        offsetY: (box.y - view.cy) * view.scale,
        scale: view.scale,
        height: canvas.clientHeight,
      };
      try {
        window.sessionStorage.setItem(STORE_KEY, JSON.stringify(saved));
      } catch (error) {
        // Private browsing may refuse storage; the map then simply opens fitted.
      }
    }
  });

  function restoreView() {
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null");
      window.sessionStorage.removeItem(STORE_KEY);
    } catch (error) {
      saved = null;
    }
    if (!saved || saved.path !== window.location.pathname) {
      return false;
    }
    var card = findCard(saved.id);
    if (!card) {
      return false;
    }
    // The same canvas height as before, so the same offset from its centre is the same place.
    canvas.style.height = saved.height + "px";
    var box = cardBox(card);
    view.scale = clampScale(saved.scale);
    view.cx = box.x - saved.offsetX / view.scale;
    view.cy = box.y - saved.offsetY / view.scale;
    apply();
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-map-zoom]");
    if (button) {
      var action = button.getAttribute("data-map-zoom");
      if (action === "fit") {
        fit();
      } else {
        zoomAt(action === "in" ? 1.25 : 0.8);
      }
      return;
    }
    if (event.target.closest("[data-map-close]")) {
      closePanel();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel && panel.contains(document.activeElement)) {
      closePanel();
    }
  });

  // The server sends a new drawing after each change: give it the current view and selection.
  new MutationObserver(function () {
    apply();
    if (selectedId !== null) {
      select(selectedId);
    }
  }).observe(canvas, { childList: true });

  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showAlert(
      status === 403
        ? canvas.getAttribute("data-message-forbidden")
        : canvas.getAttribute("data-message-failed")
    );
  });

  window.addEventListener("resize", apply);

  if (drawing()) {
    if (!restoreView()) {
      initialView();
    }
  }
})();
