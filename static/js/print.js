/* A "Print" button on the printable pages. */
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
