/* Steppers and the live total; the server recomputes the price whatever this shows. */
(function () {
  const form = document.querySelector("[data-order-form]");
  const output = form.querySelector("[data-total]");
  const inputs = [...form.querySelectorAll("input[data-price]")];
  const cents = (price) => Math.round(parseFloat(price) * 100);
  function update() {
    let sum = 0;
    for (const input of inputs) {
      const quantity = parseInt(input.value, 10);
      if (quantity > 0) sum += quantity * cents(input.dataset.price);
      const [less, more] = input.parentElement.querySelectorAll("button");
      less.disabled = !(quantity > 0);
      more.disabled = (quantity || 0) >= Number(input.max);
    }
    output.textContent = "¥" + (sum / 100).toFixed(2);
  }
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-step]");
    if (!button) return;
    const input = button.parentElement.querySelector("input");
    const next = (parseInt(input.value, 10) || 0) + Number(button.dataset.step);
    input.value = Math.max(0, Math.min(Number(input.max), next));
    update();
  });
  form.addEventListener("input", update);
  update();
})();
