// The value-chain explorer's page script (docs/explorer.md). Data: the JSON document embedded in the page by
// valuechain.outputs.explorer; drawing: d3 and d3-sankey, inlined beside this script. Pages are addressed by the URL
// fragment (#/product/8703, #/region/BRA/BRA-01, #/regions, #/), so they can be bookmarked and shared.
// Names come from the user's data (regions, products, sections): every one reaches the page as a text node or
// through setAttribute (d3's .text and .attr), never as markup, so no name can run a script or break the page.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("explorer-data").textContent);
  const P = D.products, L = D.links, nP = P.hs.length, nL = L.out.length;
  const productIndex = new Map(P.hs.map((h, i) => [h, i]));
  const hasTrade = Boolean(D.region_flows);
  const main = document.getElementById("main");
  const NO_LINKS = "No links: this run's network is empty (no pair of products passed the link method).";

  // Links by output (inputs of a product, in rank order) and by input (products it feeds).
  const inputsOf = Array.from({ length: nP }, () => []);
  const usesOf = Array.from({ length: nP }, () => []);
  for (let l = 0; l < nL; l++) { inputsOf[L.out[l]].push(l); usesOf[L.in[l]].push(l); }

  const groupBy = (column, n) => {
    const out = Array.from({ length: n }, () => []);
    column.forEach((key, row) => out[key].push(row));
    return out;
  };
  const regionFlowsOf = hasTrade ? groupBy(D.region_flows.link, nL) : [];
  const countryFlowsOf = hasTrade ? groupBy(D.country_flows.link, nL) : [];
  const regionRow = new Map();
  if (hasTrade) D.regions.place.forEach((place, row) => regionRow.set(place, row));
  const tradeOf = hasTrade ? groupBy(D.trade.place, D.places.region.length) : [];
  const sectionName = new Map(D.sections.id.map((s, i) => [s, D.sections.name[i]]));

  // Formats and colours.
  const usd = v => (v == null ? "" : d3.format("$.3s")(v).replace("G", "B"));
  const fixed = (v, digits = 2) => (v == null ? "–" : v.toFixed(digits));
  const levels = P.level.filter(v => v != null);
  const levelColor = d3.scaleSequential(d3.interpolateViridis).domain(levels.length ? d3.extent(levels) : [1, 2]);
  const confidenceColor = d3.scaleSequential(t => d3.interpolateBlues(0.3 + 0.7 * t)).domain([0, 1]);
  const REF_DASH = { true: null, false: "5,3", unscorable: "1,3" };
  const refLabel = l => D.reference_labels[L.ref[l]];
  const countryOf = p => D.countries[D.places.country[p]];
  const placeName = p => `${countryOf(p)} ${D.places.region[p]}`;
  const productHref = i => `#/product/${encodeURIComponent(P.hs[i])}`;
  const regionHref = p => `#/region/${encodeURIComponent(countryOf(p))}/${encodeURIComponent(D.places.region[p])}`;

  // An element with attributes (set one by one; null and false leave one out) and children (nodes, or values
  // that become text nodes; null leaves one out).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...children.flat().filter(c => c != null).map(c => (c instanceof Node ? c : String(c))));
    return node;
  }
  const svgElement = id => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    node.setAttribute("id", id);
    return node;
  };
  const code = text => el("span", { class: "code" }, text);
  const note = (...text) => el("p", { class: "note" }, ...text);
  const productLink = i => el("a", { href: productHref(i) }, code(P.hs[i]), " ", P.name[i] || "");
  const regionLink = p => el("a", { href: regionHref(p) }, placeName(p));

  // columns: { label, num, cell: row => node or text }; href: row => the page a click on the row opens.
  function table(id, columns, rows, href, attrs) {
    const head = el("tr", {}, columns.map(c => el("th", { class: c.num ? "num" : null }, c.label)));
    const body = rows.map(r => el("tr", { "data-href": href ? href(r) : null, ...(attrs ? attrs(r) : {}) },
      columns.map(c => el("td", { class: c.num ? "num" : null }, c.cell(r)))));
    return el("table", { id: id || null }, el("thead", {}, head), el("tbody", {}, body));
  }
  main.addEventListener("click", event => {
    const row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a")) location.hash = row.dataset.href;
  });

  // ------------------------------------------------------------------------------------------ search
  const search = document.getElementById("search"), suggestions = document.getElementById("suggestions");
  const lowerNames = P.name.map(n => (n || "").toLowerCase());
  function matches(text) {
    const q = text.trim().toLowerCase();
    if (!q) return [];
    const byCode = [], byName = [];
    for (let i = 0; i < nP; i++) {
      if (P.hs[i].startsWith(q)) byCode.push(i);
      else if (lowerNames[i].includes(q)) byName.push(i);
    }
    return byCode.concat(byName).slice(0, 12);
  }
  function showSuggestions() {
    const found = matches(search.value);
    suggestions.replaceChildren(...found.map((i, k) =>
      el("li", { "data-hs": P.hs[i], class: k ? null : "active" }, code(P.hs[i]), " ", P.name[i] || "")));
    suggestions.hidden = found.length === 0;
  }
  function go(hs) { suggestions.hidden = true; search.value = ""; location.hash = productHref(productIndex.get(hs)); }
  search.addEventListener("input", showSuggestions);
  search.addEventListener("keydown", event => {
    if (event.key !== "Enter") return;
    const exact = productIndex.has(search.value.trim()) ? search.value.trim() : null;
    const first = exact || (matches(search.value)[0] !== undefined ? P.hs[matches(search.value)[0]] : null);
    if (first) go(first);
  });
  suggestions.addEventListener("mousedown", event => {
    const li = event.target.closest("li[data-hs]");
    if (li) go(li.dataset.hs);
  });
  search.addEventListener("blur", () => setTimeout(() => { suggestions.hidden = true; }, 150));

  // ----------------------------------------------------------------------------------------- routing
  function route() {
    let parts;
    try {
      parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    } catch (error) { // a hand-typed address with a stray "%": the overview
      parts = [];
    }
    window.scrollTo(0, 0);
    if (parts[0] === "product" && productIndex.has(parts[1])) productPage(productIndex.get(parts[1]));
    else if (parts[0] === "region" && hasTrade) regionPage(parts[1], parts.slice(2).join("/"));
    else if (parts[0] === "regions") regionsPage();
    else overviewPage();
    window.explorerReady = true;
  }
  window.addEventListener("hashchange", route);
  document.getElementById("footer").replaceChildren(
    "Run ", el("b", {}, D.meta.run),
    ` · ${D.meta.link_method} links (${D.meta.method}, k = ${D.meta.k}) · ${nP} products, ${nL} links · ` +
    `valuechain ${D.meta.project_version} · built from ${D.meta.sources}. ${D.meta.cut}`);

  // -------------------------------------------------------------------------------------- product page
  function upstream(root, depth) {
    // Breadth-first over inputs: each product at its shortest distance from the root.
    const layer = new Map([[root, 0]]);
    let frontier = [root];
    for (let d = 1; d <= depth; d++) {
      const next = [];
      for (const p of frontier) for (const l of inputsOf[p]) {
        const q = L.in[l];
        if (!layer.has(q)) { layer.set(q, d); next.push(q); }
      }
      frontier = next;
    }
    return layer;
  }

  function drawLayers(svgNode, root, depth) {
    const layer = upstream(root, depth);
    const columns = d3.range(depth + 1).map(d => [...layer].filter(([, k]) => k === d).map(([p]) => p));
    const rows = Math.max(...columns.map(c => c.length), 1);
    // Labels sit left of the inputs and right of the product, so columns are 300 px apart.
    const width = 420 + 300 * depth, height = Math.max(160, rows * 34 + 40);
    const x = d => width - 180 - 300 * d;
    const pos = new Map();
    columns.forEach((col, d) => col.forEach((p, k) => pos.set(p, [x(d), 20 + (k + 0.5) * ((height - 40) / col.length)])));
    const edges = [];
    for (const [p, d] of layer) for (const l of inputsOf[p]) {
      if (layer.get(L.in[l]) === d + 1) edges.push(l);
    }
    const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    svg.selectAll("*").remove();
    const link = d3.linkHorizontal();
    svg.append("g").attr("fill", "none").selectAll("path").data(edges).join("path")
      .attr("d", l => link({ source: pos.get(L.in[l]), target: pos.get(L.out[l]) }))
      .attr("stroke", l => confidenceColor(L.conf[l] == null ? 0.5 : L.conf[l]))
      .attr("stroke-width", l => 1 + 3 / L.rank[l]).attr("stroke-dasharray", l => REF_DASH[refLabel(l)])
      .append("title").text(l => `${P.hs[L.in[l]]} → ${P.hs[L.out[l]]}: rank ${L.rank[l]}, confidence ${fixed(L.conf[l])}, reference ${refLabel(l)}`);
    const node = svg.append("g").selectAll("g").data([...layer.keys()]).join("g").attr("class", "node")
      .attr("transform", p => `translate(${pos.get(p)})`).on("click", (e, p) => { location.hash = productHref(p); });
    node.append("circle").attr("r", p => (p === root ? 9 : 6)).attr("fill", p => (P.level[p] == null ? "#bbb" : levelColor(P.level[p])));
    // Labels: right of the product, left of the farthest inputs, above the nodes in between (clear of the edges).
    const side = p => (p === root ? "right" : layer.get(p) === depth ? "left" : "above");
    node.append("text").attr("class", "halo").attr("dy", p => (side(p) === "above" ? "-0.9em" : "0.35em"))
      .attr("x", p => ({ right: 14, left: -10, above: 0 })[side(p)])
      .attr("text-anchor", p => ({ right: "start", left: "end", above: "middle" })[side(p)])
      .text(p => `${P.hs[p]} ${(P.name[p] || "").slice(0, 28)}${(P.name[p] || "").length > 28 ? "…" : ""}`);
    node.append("title").text(p => `${P.hs[p]} ${P.name[p] || ""} (trophic level ${fixed(P.level[p])})`);
    return layer;
  }

  function sankey(svgNode, linkRows) {
    // Country-to-country flows of the chosen links, exporters on the left and importers on the right.
    const F = D.country_flows, total = new Map();
    for (const r of linkRows) {
      const key = `${F.from[r]}>${F.to[r]}`;
      total.set(key, (total.get(key) || 0) + F.value[r]);
    }
    const pairs = [...total].sort((a, b) => b[1] - a[1]).slice(0, 30);
    const svg = d3.select(svgNode);
    svg.selectAll("*").remove();
    if (!pairs.length) {
      svg.attr("viewBox", null).attr("width", 760).attr("height", 30).append("text").attr("y", 18)
        .text(nL ? "No allocated flows for these links." : NO_LINKS);
      return;
    }
    const names = [], id = new Map();
    const nodeOf = name => { if (!id.has(name)) { id.set(name, names.length); names.push({ name }); } return id.get(name); };
    const links = pairs.map(([key, value]) => {
      const [a, b] = key.split(">").map(Number);
      return { source: nodeOf(`${D.countries[a]} →`), target: nodeOf(`→ ${D.countries[b]}`), value };
    });
    const width = 760, height = Math.max(220, names.length * 22);
    svg.attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    const graph = d3.sankey().nodeWidth(12).nodePadding(8).extent([[110, 10], [width - 110, height - 10]])({ nodes: names, links });
    const colour = d3.scaleOrdinal(d3.schemeTableau10), country = name => name.replace("→", "").trim();
    svg.append("g").attr("fill", "none").selectAll("path").data(graph.links).join("path")
      .attr("d", d3.sankeyLinkHorizontal()).attr("stroke", d => colour(country(d.source.name))).attr("stroke-opacity", 0.45)
      .attr("stroke-width", d => Math.max(1, d.width))
      .append("title").text(d => `${d.source.name} ${d.target.name.slice(2)}: ${usd(d.value)}`);
    svg.append("g").selectAll("rect").data(graph.nodes).join("rect")
      .attr("x", d => d.x0).attr("y", d => d.y0).attr("width", d => d.x1 - d.x0).attr("height", d => Math.max(1, d.y1 - d.y0))
      .attr("fill", d => colour(country(d.name)));
    svg.append("g").selectAll("text").data(graph.nodes).join("text")
      .attr("x", d => (d.x0 < width / 2 ? d.x0 - 6 : d.x1 + 6)).attr("y", d => (d.y0 + d.y1) / 2).attr("dy", "0.35em")
      .attr("text-anchor", d => (d.x0 < width / 2 ? "end" : "start")).text(d => `${d.name} ${usd(d.value)}`);
  }

  function productPage(p) {
    document.body.dataset.page = "product";
    const depth = Number(sessionStorage.getItem("depth") || D.meta.depth);
    const inputs = inputsOf[p], uses = usesOf[p];
    const chips = [`section ${P.section[p] || ""}: ${sectionName.get(P.section[p]) || ""}`,
      `trophic level ${fixed(P.level[p])}`, `PCI ${fixed(P.pci[p])}`, `${inputs.length} inputs`, `feeds ${uses.length} products`];
    const depthSelect = el("select", { id: "depth" }, [1, 2, 3, 4].map(d => el("option", { selected: d === depth }, d)));
    const layers = svgElement("layers");
    const inputsTable = inputs.length ? table("inputs-table", [
      { label: "rank", num: true, cell: l => L.rank[l] },
      { label: "input", cell: l => productLink(L.in[l]) },
      { label: "confidence", num: true, cell: l => fixed(L.conf[l]) },
      { label: "reference", cell: l => [el("span", { class: `ref-${refLabel(l)}` }, refLabel(l)),
        L.share[l] ? ` (share ${(100 * L.share[l]).toFixed(1)}%)` : ""] },
      { label: "level", num: true, cell: l => fixed(P.level[L.in[l]]) }],
    inputs, l => productHref(L.in[l]), l => ({ "data-hs": P.hs[L.in[l]] })) : el("p", {}, nL ? "No inputs in this network." : NO_LINKS);
    const usesTable = uses.length ? table("uses-table", [
      { label: "output", cell: l => productLink(L.out[l]) },
      { label: "as input no.", num: true, cell: l => L.rank[l] },
      { label: "confidence", num: true, cell: l => fixed(L.conf[l]) }],
    uses, l => productHref(L.out[l])) : el("p", {}, nL ? "It is no input of any product in this network." : NO_LINKS);
    main.replaceChildren(
      el("h1", { id: "product-title" }, code(P.hs[p]), " ", P.name[p] || ""),
      el("div", { class: "chips" }, chips.map(c => el("span", {}, c))),
      el("div", { class: "card" }, el("div", { class: "controls" }, el("label", {}, "Upstream steps ", depthSelect),
        note("Inputs to the left, the product on the right. Node colour: trophic level (viridis, low = upstream). " +
          "Edge colour: link confidence (darker = more confident); width: rank; solid = a link of the product reference, " +
          "dashed = not a link there, dotted = not scorable.")), layers),
      el("div", { class: "grid" },
        el("div", { class: "card" }, el("h2", {}, "Inputs"), inputsTable),
        el("div", { class: "card" }, el("h2", {}, "Products it feeds"), usesTable)),
      ...(hasTrade ? flowsSection(p, inputs) : [note("This run has no trade data: no flows.")]));
    const redraw = () => drawLayers(layers, p, Number(depthSelect.value));
    depthSelect.addEventListener("change", e => { sessionStorage.setItem("depth", e.target.value); redraw(); });
    redraw();
  }

  function flowsSection(p, inputs) {
    const choice = el("select", { id: "flow-link" }, el("option", { value: "all" }, "all inputs"),
      inputs.map(l => el("option", { value: l }, `${P.hs[L.in[l]]} ${P.name[L.in[l]] || ""}`)));
    const svg = svgElement("sankey"), flowTable = el("div", { id: "flow-table" });
    const showFlows = () => {
      const links = choice.value === "all" ? inputs : [Number(choice.value)];
      sankey(svg, links.flatMap(l => countryFlowsOf[l]));
      const R = D.region_flows;
      const rows = links.flatMap(l => regionFlowsOf[l]).sort((a, b) => R.value[b] - R.value[a]).slice(0, 40);
      flowTable.replaceChildren(el("h2", {}, "Largest region-to-region flows"), rows.length ? table("flows-table", [
        { label: "input", cell: r => productLink(L.in[R.link[r]]) },
        { label: "from", cell: r => regionLink(R.from[r]) },
        { label: "to", cell: r => regionLink(R.to[r]) },
        { label: "flow", num: true, cell: r => usd(R.value[r]) },
        { label: "lower", num: true, cell: r => usd(R.lower[r]) },
        { label: "upper", num: true, cell: r => usd(R.upper[r]) }], rows)
        : el("p", {}, nL ? "No region-to-region flows for these links." : NO_LINKS),
      note(`The ${D.meta.top_flows} largest region pairs of each link are in the page; the full dataset is `,
        code(`results/${D.meta.run}/flows/dataset`), "."));
    };
    choice.addEventListener("change", showFlows);
    const section = [el("h2", {}, "Where its inputs come from"),
      el("div", { class: "card" }, el("div", { class: "controls" }, el("label", {}, "Input link ", choice),
        note(`Allocated flows (docs/method.md section 6): the input exported by one country and imported by another ` +
          `to make ${P.hs[p]}. Country pairs: the largest ${D.meta.top_country_flows} per link.`)), svg, flowTable)];
    showFlows();
    return section;
  }

  // ------------------------------------------------------------------------------------- overview page
  function sectionNetwork(svgNode) {
    const S = D.sections, E = D.section_links, n = S.id.length, width = 620, height = 620, r = 230;
    const angle = i => (2 * Math.PI * i) / n - Math.PI / 2;
    const pos = new Map(S.id.map((s, i) => [s, [width / 2 + r * Math.cos(angle(i)), height / 2 + r * Math.sin(angle(i))]]));
    const edges = d3.range(E.source.length).filter(e => E.source[e] !== E.target[e] && pos.has(E.source[e]) && pos.has(E.target[e]))
      .sort((a, b) => E.weight[b] - E.weight[a]).slice(0, D.meta.top_section_edges);
    const wMax = d3.max(edges, e => E.weight[e]) || 1;
    const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    const size = d3.scaleSqrt().domain([0, d3.max(S.n) || 1]).range([3, 18]);
    const radius = new Map(S.id.map((s, i) => [s, size(S.n[i])]));
    svg.append("defs").append("marker").attr("id", "arrow").attr("viewBox", "0 -4 8 8").attr("refX", 8)
      .attr("markerUnits", "userSpaceOnUse").attr("markerWidth", 9).attr("markerHeight", 9).attr("orient", "auto")
      .append("path").attr("d", "M0,-4L8,0L0,4").attr("fill", "#5b6577");
    // Curves bend through the centre and stop at the target's rim, where the arrow head sits.
    const curve = e => {
      const [x1, y1] = pos.get(E.source[e]), [x2, y2] = pos.get(E.target[e]), cx = width / 2, cy = height / 2;
      const d = Math.hypot(x2 - cx, y2 - cy) || 1, back = radius.get(E.target[e]) + 2;
      return `M${x1},${y1}Q${cx},${cy} ${x2 - ((x2 - cx) / d) * back},${y2 - ((y2 - cy) / d) * back}`;
    };
    svg.append("g").attr("fill", "none").selectAll("path").data(edges).join("path")
      .attr("d", curve)
      .attr("stroke", "#7a869a").attr("stroke-opacity", 0.6).attr("stroke-width", e => 0.5 + 5 * E.weight[e] / wMax)
      .attr("marker-end", "url(#arrow)")
      .append("title").text(e => `${E.source[e]} → ${E.target[e]}: ${E.n[e]} links, weight ${fixed(E.weight[e], 3)}`);
    const node = svg.append("g").selectAll("g").data(d3.range(n)).join("g").attr("transform", i => `translate(${pos.get(S.id[i])})`);
    node.append("circle").attr("r", i => size(S.n[i])).attr("fill", "#1f5fae").attr("fill-opacity", 0.8);
    node.append("text").attr("dy", "0.35em").attr("x", i => (Math.cos(angle(i)) >= 0 ? 1 : -1) * (size(S.n[i]) + 4))
      .attr("text-anchor", i => (Math.cos(angle(i)) >= 0 ? "start" : "end")).text(i => S.id[i]);
    node.append("title").text(i => `${S.id[i]} ${S.name[i] || ""}: ${S.n[i]} products`);
    return edges.length;
  }

  function levelHistogram(svgNode) {
    const width = 560, height = 260, m = { l: 44, r: 10, t: 10, b: 40 };
    // One level for all (a network without links puts every product at level 1): one bar, one unit wide.
    const [lo, hi] = d3.extent(levels);
    const bins = (lo < hi ? d3.bin().thresholds(24) : d3.bin().domain([lo - 0.5, hi + 0.5]).thresholds([]))(levels);
    const x = d3.scaleLinear().domain([bins[0].x0, bins[bins.length - 1].x1]).range([m.l, width - m.r]);
    const y = d3.scaleLinear().domain([0, d3.max(bins, b => b.length)]).nice().range([height - m.b, m.t]);
    const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    svg.append("g").selectAll("rect").data(bins).join("rect").attr("x", b => x(b.x0) + 1).attr("y", b => y(b.length))
      .attr("width", b => Math.max(0, x(b.x1) - x(b.x0) - 1)).attr("height", b => y(0) - y(b.length))
      .attr("fill", b => levelColor((b.x0 + b.x1) / 2));
    svg.append("g").attr("transform", `translate(0,${height - m.b})`).call(d3.axisBottom(x));
    svg.append("g").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(5));
    svg.append("text").attr("x", width / 2).attr("y", height - 6).attr("text-anchor", "middle").text("trophic level");
    svg.append("text").attr("transform", `translate(12,${height / 2}) rotate(-90)`).attr("text-anchor", "middle").text("products");
  }

  function smallTable(id, t) {
    if (!t || !t.rows.length) return note("Not computed in this run.");
    return table(id, t.columns.map((c, k) => ({ label: c, num: typeof t.rows[0][k] === "number",
      cell: r => (typeof r[k] === "number" && !Number.isInteger(r[k]) ? r[k].toFixed(3) : r[k]) })), t.rows);
  }

  function overviewPage() {
    document.body.dataset.page = "overview";
    const ordered = d3.range(nP).filter(i => P.level[i] != null).sort((a, b) => P.level[a] - P.level[b]);
    const list = ids => table("", [{ label: "product", cell: i => productLink(i) }, { label: "level", num: true, cell: i => fixed(P.level[i]) }],
      ids, productHref);
    const sections = svgElement("sections"), histogram = levels.length ? svgElement("levels") : note("No trophic levels in this run.");
    const start = productIndex.has(D.meta.product) ? ["Search a product above, or start from ", productLink(productIndex.get(D.meta.product)), "."]
      : ["Search a product above."];
    main.replaceChildren(
      el("h1", {}, `Run ${D.meta.run}`),
      el("p", {}, `${nP} products and ${nL} links (${D.meta.link_method} network, ${D.meta.method}, ${D.meta.k} inputs per product). `,
        start, hasTrade ? [` ${D.regions.place.length} regions of ${D.country_positions.country.length} countries: `,
          el("a", { href: "#/regions" }, "regions"), "."] : null),
      el("div", { class: "grid" },
        el("div", { class: "card" }, el("h2", {}, "HS sections: links between them"), sections,
          note("Node size: products of the section. Edge width: links from S to T over the links leaving S and entering T " +
            `(the ${D.meta.top_section_edges} heaviest between different sections).`)),
        el("div", { class: "card" }, el("h2", {}, "Trophic levels of the products"), histogram,
          el("h2", {}, "Most upstream"), list(ordered.slice(0, 8)), el("h2", {}, "Most downstream"), list(ordered.slice(-8).reverse()))),
      el("h2", {}, "Link methods compared"), el("div", { class: "card" }, smallTable("methods-table", D.tables.methods),
        note("Precision of each method's top links on each yardstick; held_out false marks in-sample figures.")),
      el("h2", {}, "Against the product reference (BEA 2017 detailed Use table)"),
      el("div", { class: "card" }, smallTable("reference-table", D.tables.reference)));
    if (!sectionNetwork(sections)) sections.after(el("p", { id: "no-section-links" }, nL ? "No links between different sections." : NO_LINKS));
    if (levels.length) levelHistogram(histogram);
  }

  // -------------------------------------------------------------------------------------- region pages
  const positionColumns = (key) => [
    { label: "TL imports", num: true, cell: r => fixed(key.tl_imp[r]) }, { label: "TL exports", num: true, cell: r => fixed(key.tl_exp[r]) },
    { label: "jump", num: true, cell: r => fixed(key.jump[r], 3) }, { label: "NITL", num: true, cell: r => fixed(key.nitl[r], 3) },
    { label: "NTJ", num: true, cell: r => fixed(key.ntj[r], 4) }, { label: "diversification", num: true, cell: r => key.diversification[r] }];

  function regionsPage() {
    document.body.dataset.page = "regions";
    if (!hasTrade) { main.replaceChildren(el("h1", {}, "Regions"), el("p", {}, "This run has no trade data, so no regions.")); return; }
    const C = D.country_positions, R = D.regions;
    const regionRows = d3.range(R.place.length).sort((a, b) => d3.ascending(placeName(R.place[a]), placeName(R.place[b])));
    main.replaceChildren(el("h1", {}, "Regions"),
      note("Trophic position (docs/method.md section 7): mean trophic level of the products a place imports and exports " +
        "with RCA ≥ 1, the jump between them, and both over the log of its export diversification (NITL, NTJ)."),
      el("h2", {}, "Countries"), el("div", { class: "card" }, table("countries-table",
        [{ label: "country", cell: r => D.countries[C.country[r]] }, ...positionColumns(C)], d3.range(C.country.length))),
      el("h2", {}, "Regions"), el("div", { class: "card" }, regionRows.length ? table("regions-table",
        [{ label: "region", cell: r => regionLink(R.place[r]) }, ...positionColumns(R)], regionRows, r => regionHref(R.place[r]))
        : el("p", { id: "no-regions" }, nL ? "No region has a trophic position in this run." : NO_LINKS)));
  }

  function regionPage(country, region) {
    const place = d3.range(D.places.region.length).find(p => countryOf(p) === country && D.places.region[p] === region);
    if (place === undefined || !regionRow.has(place)) { regionsPage(); return; }
    document.body.dataset.page = "region";
    const R = D.regions, row = regionRow.get(place), T = D.trade;
    const trade = flow => table(`${flow ? "imports" : "exports"}-table`, [
      { label: "product", cell: t => productLink(T.product[t]) }, { label: "value", num: true, cell: t => usd(T.value[t]) },
      { label: "RCA", num: true, cell: t => fixed(T.rca[t]) }, { label: "level", num: true, cell: t => fixed(P.level[T.product[t]]) }],
    tradeOf[place].filter(t => T.flow[t] === flow), t => productHref(T.product[t]));
    const scatter = svgElement("scatter");
    main.replaceChildren(el("h1", { id: "region-title" }, placeName(place)),
      el("div", { class: "card" }, table("position-table", positionColumns(R), [row])),
      el("div", { class: "grid" }, el("div", { class: "card" }, el("h2", {}, "Where it sits among all regions"), scatter,
        note("Each dot a region; this one in red.")),
      el("div", { class: "card" }, el("h2", {}, "Largest exports"), trade(0), el("h2", {}, "Largest imports"), trade(1))));
    const width = 520, height = 380, m = { l: 56, r: 12, t: 12, b: 44 };
    const x = d3.scaleLinear().domain(d3.extent(R.nitl)).nice().range([m.l, width - m.r]);
    const y = d3.scaleLinear().domain(d3.extent(R.ntj)).nice().range([height - m.b, m.t]);
    const svg = d3.select(scatter).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    svg.append("g").attr("transform", `translate(0,${height - m.b})`).call(d3.axisBottom(x).ticks(6));
    svg.append("g").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(6));
    svg.append("text").attr("x", width / 2).attr("y", height - 6).attr("text-anchor", "middle").text("NITL, normalised import trophic level");
    svg.append("text").attr("transform", `translate(14,${height / 2}) rotate(-90)`).attr("text-anchor", "middle").text("NTJ, normalised trophic jump");
    const order = d3.range(R.place.length).filter(r => R.nitl[r] != null && R.ntj[r] != null).sort((a, b) => (a === row) - (b === row));
    svg.append("g").selectAll("circle").data(order).join("circle").attr("cx", r => x(R.nitl[r])).attr("cy", r => y(R.ntj[r]))
      .attr("r", r => (r === row ? 6 : 3)).attr("fill", r => (r === row ? "#d62728" : "#8da0bc")).attr("fill-opacity", r => (r === row ? 1 : 0.6))
      .style("cursor", "pointer").on("click", (e, r) => { location.hash = regionHref(R.place[r]); })
      .append("title").text(r => placeName(R.place[r]));
  }

  route();
})();
