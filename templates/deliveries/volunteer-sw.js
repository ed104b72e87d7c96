{% load static %}/* The volunteers' service worker: keeps the last copy of their pages and the static files
   they use, so that a reload with no network still shows the list (the taps themselves wait in
   localStorage, see volunteer-deliveries.js). API calls and forms always go to the network. */
"use strict";
// Named after the static files' hashed URLs: a deploy that changes them changes this file.
const CACHE = "lhm-volunteer-{{ version }}";
const ASSETS = [
  "{% url 'my-deliveries' %}",{% for asset in assets %}
  "{{ asset|escapejs }}",{% endfor %}
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // Network first, so that the list is fresh; the last copy when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => caches.match(request).then((hit) => hit || caches.match(ASSETS[0])))
    );
    return;
  }
  if (url.pathname.startsWith("{% get_static_prefix %}")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
