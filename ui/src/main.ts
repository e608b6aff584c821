// The dashboard's entry point (bundled by scripts/build-ui.mjs into dist/ui/).
import { html } from "htm/preact";
import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "../style.css";
import { App } from "./app";

render(html`<${App} />`, document.getElementById("app")!);
