/* My deliveries, offline first: every tap is kept in localStorage with its moment (ISO) and a
   client id, the card changes at once, and the queue is sent to the API whenever the phone is
   online (on load, on the 'online' event and every few seconds). The server keeps the tap's
   moment as the delivery's done time and answers a repeat as a success, so sending twice is
   harmless. Texts come from the page's data attributes, so that they are translated. */
(function () {
  "use strict";
  const KEY = "lhm.delivery-taps";
  const list = document.querySelector("[data-api-base]");
  const status = document.querySelector("[data-queue-status]");
  if (!list || !status) return;
  const labels = list.dataset;
  let sending = false;

  function load() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  function save(queue) {
    window.localStorage.setItem(KEY, JSON.stringify(queue));
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function clientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function showStatus(queue, refused) {
    status.classList.toggle("pending", queue.length > 0);
    let text = "";
    if (queue.length) {
      text = status.dataset.pendingText.replace("%(count)s", queue.length);
      if (!navigator.onLine) text += " · " + status.dataset.offlineText;
    }
    if (refused) text = (text ? text + " · " : "") + status.dataset.refusedText + " " + refused;
    status.textContent = text;
    status.dataset.pending = String(queue.length);
  }

  function showCard(tap, pending) {
    const card = list.querySelector('[data-delivery="' + tap.delivery + '"]');
    if (!card) return;
    const outcome = tap.outcome === "delivered" ? "delivered" : "failed";
    card.className = "delivery-card status-" + outcome + (pending ? " pending" : "");
    card.dataset.status = outcome;
    const form = card.querySelector(".tap-form");
    if (form) form.remove(); // done: nothing left to tap on this card
    const line = card.querySelector("[data-outcome]");
    const at = new Date(tap.tapped_at);
    const clock = String(at.getHours()).padStart(2, "0") + ":" + String(at.getMinutes()).padStart(2, "0");
    line.textContent = (labels["label" + tap.outcome.charAt(0).toUpperCase() + tap.outcome.slice(1)]
      || labels.labelDelivered) + " · " + clock;
    line.dataset.pending = labels.labelPending;
    recount();
  }

  function setCounts(element, left, done) {
    if (!element) return;
    element.dataset.left = String(left);
    element.dataset.done = String(done);
    element.textContent = labels.countsText.replace("%(left)s", left).replace("%(done)s", done);
  }

  function recount() {
    // The summary at the top follows the cards, taps kept on the phone included.
    let totalLeft = 0;
    let totalDone = 0;
    list.querySelectorAll("section.walk-building").forEach(function (section) {
      const left = section.querySelectorAll('.delivery-card[data-status="planned"]').length;
      const done = section.querySelectorAll(".delivery-card").length - left;
      totalLeft += left;
      totalDone += done;
      setCounts(document.querySelector('[data-summary-for="' + section.id + '"] [data-counts]'), left, done);
    });
    setCounts(document.querySelector(".walk-total[data-counts]"), totalLeft, totalDone);
  }

  function showRefused(tap, detail) {
    // The server said no (a conflicting change, say): show why; a reload shows its state.
    const card = list.querySelector('[data-delivery="' + tap.delivery + '"]');
    if (!card) return;
    card.classList.remove("pending");
    card.classList.add("refused");
    card.querySelector("[data-outcome]").textContent = status.dataset.refusedText + " " + detail;
  }

  async function send(tap) {
    const path = tap.outcome === "delivered" ? "complete/" : "fail/";
    const body = { tapped_at: tap.tapped_at };
    if (tap.outcome !== "delivered") {
      body.reason = tap.outcome;
      body.note = tap.note || "";
    }
    return fetch(labels.apiBase + tap.delivery + "/" + path, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body),
    });
  }

  async function flush() {
    if (sending || !navigator.onLine) {
      showStatus(load());
      return;
    }
    sending = true;
    let refused = "";
    try {
      for (;;) {
        const queue = load();
        if (!queue.length) break;
        const tap = queue[0];
        let response;
        try {
          response = await send(tap);
        } catch (error) {
          break; // offline after all: keep the tap, try again later
        }
        if (response.status >= 500 || response.status === 429 || response.status === 403) break;
        let detail = "";
        if (!response.ok) {
          try {
            detail = (await response.json()).detail || String(response.status);
          } catch (error) {
            detail = String(response.status);
          }
          refused = detail;
        }
        const rest = load().filter((entry) => entry.client_id !== tap.client_id);
        save(rest);
        if (detail) showRefused(tap, detail);
        else showCard(tap, false);
      }
    } finally {
      sending = false;
      showStatus(load(), refused);
    }
  }

  list.addEventListener("submit", function (event) {
    event.preventDefault();
    const form = event.target;
    const button = event.submitter;
    if (!button || !button.value) return;
    const card = form.closest("[data-delivery]");
    const note = form.querySelector("input[name=note]");
    if (button.value === "problem" && note && !note.value.trim()) {
      note.focus();
      note.setAttribute("aria-invalid", "true");
      return;
    }
    const tap = {
      client_id: clientId(),
      delivery: card.dataset.delivery,
      outcome: button.value,
      note: note ? note.value.trim() : "",
      tapped_at: new Date().toISOString(),
    };
    const queue = load();
    queue.push(tap);
    save(queue);
    showCard(tap, true);
    showStatus(queue);
    flush();
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { showStatus(load()); });
  window.setInterval(flush, 5000);
  load().forEach((tap) => showCard(tap, true));
  flush();

  const script = document.currentScript || document.querySelector("script[data-sw]");
  if ("serviceWorker" in navigator && script && script.dataset.sw) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/volunteer/" }).catch(function () {});
  }
})();
