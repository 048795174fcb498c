/* The pipeline board's drag and drop and keyboard help. The move itself is always the
   card's own form (a plain POST that works without this file); dragging a card presses
   the form's button for the column it was dropped on, and htmx swaps the new board in. */
(function () {
  "use strict";

  var focusAfterSwap = null;

  function refresh() {
    // A drop the card does not offer (its own column, "new", not his to move): the
    // server's board puts the card back where it is.
    if (window.htmx) {
      window.htmx.ajax("GET", "/dashboard/board", {
        target: "#board", select: "#board", swap: "outerHTML"
      });
    } else {
      window.location.reload();
    }
  }

  function moveTo(card, stage) {
    var button = card.querySelector('button.move-to[data-stage="' + stage + '"]');
    if (!button) {
      refresh();
      return;
    }
    focusAfterSwap = card.dataset.lead;
    button.click();
  }

  function makeSortable(root) {
    if (!window.Sortable) {
      return;
    }
    var lists = root.querySelectorAll ? root.querySelectorAll(".cards-list") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable) {
        return;
      }
      list.dataset.sortable = "1";
      window.Sortable.create(list, {
        group: {
          name: "board",
          put: function (to) { return to.el.dataset.stage !== "new"; }
        },
        draggable: ".movable",
        // The menu and its buttons stay clickable; a drag starts anywhere else.
        filter: "summary, button",
        preventOnFilter: false,
        sort: false,
        // Mouse and touch events rather than the browser's own drag and drop: the same
        // on every device, and what the browser tests drive.
        forceFallback: true,
        fallbackTolerance: 4,
        onEnd: function (event) {
          if (event.from !== event.to) {
            moveTo(event.item, event.to.dataset.stage);
          }
        }
      });
    });
  }

  // Keyboard: Enter on a card opens its move menu at the next stage; Escape closes it.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || !target.classList) {
      return;
    }
    if (event.key === "Enter" && target.classList.contains("board-card")) {
      var menu = target.querySelector("details.move");
      if (!menu) {
        return;
      }
      event.preventDefault();
      menu.open = true;
      var first = menu.querySelector("button.move-to.next") ||
        menu.querySelector("button.move-to");
      if (first) {
        first.focus();
      }
    } else if (event.key === "Escape") {
      var open = target.closest && target.closest("details.move[open]");
      if (open) {
        open.open = false;
        open.closest(".board-card").focus();
      }
    }
  });

  // Whatever moved the card (drag, menu), the keyboard stays on it after the swap.
  document.addEventListener("submit", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (card) {
      focusAfterSwap = card.dataset.lead;
    }
  }, true);

  document.addEventListener("htmx:afterSettle", function () {
    makeSortable(document);
    if (focusAfterSwap) {
      var card = document.getElementById("card-" + focusAfterSwap);
      focusAfterSwap = null;
      if (card) {
        card.focus();
      }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { makeSortable(document); });
  } else {
    makeSortable(document);
  }
}());
