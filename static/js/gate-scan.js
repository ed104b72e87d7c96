/* Scan a pickup QR code with the phone's camera where the browser has BarcodeDetector; the
   code fills the field and the form is sent. Without it (or without a camera) the volunteer
   types the code: the scan button is only added where scanning can work. */
(function () {
  "use strict";
  const box = document.querySelector("[data-scan]");
  const form = document.querySelector("[data-gate]");
  if (!box || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  const video = box.querySelector("[data-scan-video]");
  const message = box.querySelector("[data-scan-message]");
  const start = document.createElement("button");
  start.type = "button";
  start.className = "secondary";
  start.textContent = box.dataset.scanLabel;
  box.prepend(start);

  start.addEventListener("click", async function () {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      message.textContent = box.dataset.noCamera;
      return;
    }
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    async function look() {
      try {
        const codes = await detector.detect(video);
        if (codes.length) {
          stream.getTracks().forEach((track) => track.stop());
          form.querySelector("input[name=code]").value = codes[0].rawValue;
          form.requestSubmit(form.querySelector("button[name=check]"));
          return;
        }
      } catch (error) {
        // A frame that could not be read: try the next one.
      }
      window.requestAnimationFrame(look);
    }
    look();
  });
})();
