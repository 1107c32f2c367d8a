// Code, outputs and math wider than the page scroll sideways. A block that scrolls gets a tab stop, so that it can
// be scrolled from the keyboard too (WCAG 2.1.1; axe-core's scrollable-region-focusable). Others stay out of the
// tab order.
function addTabStopsToScrollableBlocks() {
  for (const block of document.querySelectorAll("pre, .math-wrapper, .table-wrapper")) {
    if (block.scrollWidth > block.clientWidth || block.scrollHeight > block.clientHeight) {
      block.setAttribute("tabindex", "0");
    } else {
      block.removeAttribute("tabindex");
    }
  }
}

document.addEventListener("DOMContentLoaded", addTabStopsToScrollableBlocks);
window.addEventListener("resize", addTabStopsToScrollableBlocks);
