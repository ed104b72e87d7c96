/* The progress bar of a background job: polls the job every second and, once the job has
   finished, reloads the page so that it shows the result. Without JavaScript the page still
   shows the state it was loaded with. */
(function () {
  "use strict";
  const panel = document.querySelector("[data-job-url]");
  if (!panel || panel.dataset.finished === "true") return;
  const bar = panel.querySelector("progress");
  const percent = panel.querySelector("[data-percent]");
  const message = panel.querySelector("[data-message]");
  const status = panel.querySelector("[data-status]");

  function show(job) {
    bar.value = job.percent;
    bar.textContent = job.percent + "%";
    percent.textContent = job.percent + "%";
    message.textContent = job.message;
    status.textContent = job.status_display;
  }

  async function poll() {
    try {
      const response = await fetch(panel.dataset.jobUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const job = await response.json();
        show(job);
        if (job.finished) {
          // A GET of the same page, even when it was the answer to a form.
          window.location.replace(window.location.pathname + window.location.search);
          return;
        }
      }
    } catch (error) {
      // The network came and went: try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  }

  window.setTimeout(poll, 1000);
})();
