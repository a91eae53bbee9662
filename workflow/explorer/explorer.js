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
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const fixed = (v, digits = 2) => (v == null ? "–" : v.toFixed(digits));
  const levels = P.level.filter(v => v != null);
  const levelColor = d3.scaleSequential(d3.interpolateViridis).domain(levels.length ? d3.extent(levels) : [1, 2]);
  // Edges: estimated precision (the share of links of that strength the reference confirms, held out), red to blue.
  const precisionColor = d3.scaleSequential(d3.interpolateRgbBasis(["#c0392b", "#9a9a9a", "#1f4e9e"])).domain([0, 1]);
  const REF_DASH = { true: null, false: "5,3", unscorable: "1,3" };
  const REF_TEXT = { true: "✓ in the reference", false: "✗ not in the reference", unscorable: "– not scorable" };
  const refLabel = l => D.reference_labels[L.ref[l]];
  const methodNames = Object.keys(L.method_ranks || {});
  const countryName = c => (D.country_names ? D.country_names[c] : D.countries[c]);
  const countryOf = p => D.countries[D.places.country[p]];
  // A place: its country's name, then the region's name and code where the region is a named subdivision (a US or
  // Brazilian state), else its code as the data give it.
  const placeName = p => (D.places.name[p] ? `${countryName(D.places.country[p])} ${D.places.name[p]} (${D.places.region[p]})`
    : `${countryName(D.places.country[p])} ${D.places.region[p]}`);
  const productHref = i => `#/product/${encodeURIComponent(P.hs[i])}`;
  const regionHref = p => `#/region/${encodeURIComponent(countryOf(p))}/${encodeURIComponent(D.places.region[p])}`;
  // A section's name shortened at a word boundary (never mid-word), for labels on drawings.
  const shortName = (text, n) => {
    if (!text || text.length <= n) return text || "";
    const cut = text.slice(0, n + 1).replace(/[\s,;:]+\S*$/, "");
    return `${cut || text.slice(0, n)}…`;
  };

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

  // A file the reader saves: a download of `text` (or a blob) under `name`.
  function save(name, blob) {
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
  const csvField = v => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  // columns: { label, num, cell: row => node or text, value: row => what sorts and goes to the CSV (default: the
  // cell's text) }; href: row => the page a click on the row opens. Headers sort the rows (again: the other way);
  // the CSV button saves the table as shown, every row.
  function table(id, columns, rows, href, attrs) {
    const value = (c, r) => (c.value ? c.value(r) : textOf(c.cell(r)));
    const body = el("tbody");
    const fill = order => body.replaceChildren(...order.map(r => el("tr", { "data-href": href ? href(r) : null, ...(attrs ? attrs(r) : {}) },
      columns.map(c => el("td", { class: c.num ? "num" : null }, c.cell(r))))));
    let shown = rows.slice(), sortedBy = null, ascending = true;
    const heads = columns.map((c, k) => {
      const th = el("th", { class: c.num ? "num sortable" : "sortable", title: "sort" }, c.label);
      th.addEventListener("click", () => {
        ascending = sortedBy === k ? !ascending : !c.num;
        sortedBy = k;
        const key = r => value(c, r);
        shown = rows.slice().sort((a, b) => {
          const x = key(a), y = key(b);
          if (x == null || x === "") return 1;
          if (y == null || y === "") return -1;
          return (ascending ? 1 : -1) * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)));
        });
        heads.forEach((h, j) => h.setAttribute("aria-sort", j === k ? (ascending ? "ascending" : "descending") : "none"));
        fill(shown);
      });
      return th;
    });
    fill(shown);
    const csv = el("button", { class: "download", type: "button", "data-table": id || null }, "CSV");
    csv.addEventListener("click", () => {
      const lines = [columns.map(c => csvField(c.label)), ...shown.map(r => columns.map(c => csvField(String(value(c, r) ?? ""))))];
      save(`${id || "table"}.csv`, new Blob([lines.map(l => l.join(",")).join("\n") + "\n"], { type: "text/csv" }));
    });
    return el("div", { class: "table-wrap" }, el("div", { class: "tools" }, csv),
      el("table", { id: id || null }, el("thead", {}, el("tr", {}, heads)), body));
  }
  const textOf = node => (node instanceof Node ? node.textContent : Array.isArray(node) ? node.map(textOf).join("") : node);
  main.addEventListener("click", event => {
    const row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a")) location.hash = row.dataset.href;
  });

  // A drawing the reader saves as SVG or PNG (twice its size), with the page's fonts written into it.
  function drawingTools(svgNode, name) {
    const serialise = () => {
      const copy = svgNode.cloneNode(true);
      copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
      copy.setAttribute("font-family", "system-ui, -apple-system, Segoe UI, Roboto, sans-serif");
      copy.setAttribute("font-size", "11");
      copy.querySelectorAll("text.halo").forEach(t => {
        t.setAttribute("stroke", "#fff"); t.setAttribute("stroke-width", "3"); t.setAttribute("paint-order", "stroke");
      });
      return new XMLSerializer().serializeToString(copy);
    };
    const svgButton = el("button", { class: "download", type: "button", "data-drawing": svgNode.id }, "SVG");
    svgButton.addEventListener("click", () => save(`${name}.svg`, new Blob([serialise()], { type: "image/svg+xml" })));
    const pngButton = el("button", { class: "download", type: "button", "data-drawing": svgNode.id }, "PNG");
    pngButton.addEventListener("click", () => {
      const width = Number(svgNode.getAttribute("width")) || 800, height = Number(svgNode.getAttribute("height")) || 600;
      const image = new Image(), url = URL.createObjectURL(new Blob([serialise()], { type: "image/svg+xml" }));
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = 2 * width; canvas.height = 2 * height;
        const context = canvas.getContext("2d");
        context.fillStyle = "#fff"; context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(blob => save(`${name}.png`, blob), "image/png");
      };
      image.src = url;
    });
    return el("div", { class: "tools" }, svgButton, pngButton);
  }

  // ------------------------------------------------------------------------------------------ search
  const search = document.getElementById("search"), suggestions = document.getElementById("suggestions");
  // What people type (valuechain.outputs.search, whose rules this mirrors): words in any order, singular or
  // plural, synonyms of the HS names; a name that is the query first, then whole words before beginnings.
  const stem = word => {
    const w = word.toLowerCase();
    if (w.length <= 3 || w.endsWith("ss") || w.endsWith("us")) return w;
    if (w.endsWith("ies")) return w.slice(0, -3) + "y";
    if (["xes", "ches", "shes", "sses"].some(e => w.endsWith(e))) return w.slice(0, -2);
    return w.endsWith("s") ? w.slice(0, -1) : w;
  };
  const words = text => (text.toLowerCase().match(/[a-z0-9]+/g) || []).map(stem);
  const STOPWORDS = new Set(["of", "and", "or", "the", "for", "in", "a", "an", "to", "with", "not", "other", "than"]);
  const nameWords = P.name.map(n => words(n || ""));
  const phraseAt = (phrase, name) => {
    let best = 0;
    for (let i = 0; i + phrase.length <= name.length; i++) {
      const last = name[i + phrase.length - 1], head = phrase.slice(0, -1);
      if (head.every((w, k) => name[i + k] === w) && last.startsWith(phrase[phrase.length - 1])) {
        best = Math.max(best, last === phrase[phrase.length - 1] ? 2 : 1);
      }
    }
    return best;
  };
  function nameMatches(text) {
    const asked = words(text);
    if (!asked.length) return [];
    const alternatives = asked.map(w => [[w], ...(D.synonyms[w] || []).map(words)]);
    const found = [];
    for (let i = 0; i < nP; i++) {
      const name = nameWords[i];
      const matched = alternatives.map(alts => Math.max(...alts.map(a => phraseAt(a, name))));
      if (Math.min(...matched) === 0) continue;
      const content = Math.max(name.filter(w => !STOPWORDS.has(w)).length, 1);
      const exact = name.length === asked.length && name.every((w, k) => w === asked[k]);
      found.push([i, exact ? 3 : matched.filter(m => m === 2).length / asked.length + Math.min(asked.length / content, 1) / 2]);
    }
    return found.sort((a, b) => b[1] - a[1] || d3.ascending(P.hs[a[0]], P.hs[b[0]]));
  }
  window.explorerSearch = text => nameMatches(text).map(([i, score]) => [P.hs[i], score]);
  function matches(text) {
    const q = text.trim();
    if (!q) return [];
    const byCode = d3.range(nP).filter(i => P.hs[i].toLowerCase().startsWith(q.toLowerCase()));
    const seen = new Set(byCode);
    return byCode.concat(nameMatches(q).map(([i]) => i).filter(i => !seen.has(i))).slice(0, 12);
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
    } catch (error) { // a hand-typed address with a stray "%"
      parts = null;
    }
    window.scrollTo(0, 0);
    if (parts === null) notFound(location.hash, "the address is not valid (a stray %?)");
    else if (parts[0] === "product") {
      if (productIndex.has(parts[1])) productPage(productIndex.get(parts[1]));
      else notFound(location.hash, `this run has no product ${parts[1] || ""}`);
    } else if (parts[0] === "region") regionPage(parts[1] || "", parts.slice(2).join("/"));
    else if (parts[0] === "regions") regionsPage();
    else if (parts[0] === "" && parts.length === 1) overviewPage();
    else notFound(location.hash, "the explorer has no such page");
    window.explorerReady = true;
  }
  // An address the page cannot show says so, and offers the way back; it never shows another page instead.
  function notFound(hash, why) {
    document.body.dataset.page = "not-found";
    main.replaceChildren(el("h1", { id: "not-found" }, "Page not found"),
      el("p", {}, el("span", { class: "code" }, hash), `: ${why}.`),
      el("p", {}, "Search a product above, or go to the ", el("a", { href: "#/" }, "overview"), " or the ",
        el("a", { href: "#/regions" }, "regions"), "."));
  }
  window.addEventListener("hashchange", route);
  document.getElementById("footer").replaceChildren(
    "Run ", el("b", {}, D.meta.run),
    ` · ${D.meta.link_method} links (${D.meta.method}, k = ${D.meta.k}) · ${nP} products, ${nL} links · ` +
    `valuechain ${D.meta.project_version} · built from ${D.meta.sources}. ${D.meta.cut}`);

  // -------------------------------------------------------------------------------------- product page
  function chain(root, depth, downstream) {
    // Breadth-first over inputs (upstream) or over the products fed (downstream): each product at its shortest
    // distance from the root.
    const layer = new Map([[root, 0]]);
    let frontier = [root];
    for (let d = 1; d <= depth; d++) {
      const next = [];
      for (const p of frontier) for (const l of (downstream ? usesOf : inputsOf)[p]) {
        const q = downstream ? L.out[l] : L.in[l];
        if (!layer.has(q)) { layer.set(q, d); next.push(q); }
      }
      frontier = next;
    }
    return layer;
  }
  const linkTitle = l => `${P.hs[L.in[l]]} → ${P.hs[L.out[l]]}: rank ${L.rank[l]}, estimated precision ` +
    `${fixed(L.prec[l])}, confidence ${fixed(L.conf[l], 3)}, ${REF_TEXT[refLabel(l)]}`;

  function drawLayers(svgNode, root, depth, downstream) {
    const layer = chain(root, depth, downstream);
    const columns = d3.range(depth + 1).map(d => [...layer].filter(([, k]) => k === d).map(([p]) => p));
    const rows = Math.max(...columns.map(c => c.length), 1);
    // Labels sit beside the outermost column and the product, above the nodes in between, so columns are 300 px
    // apart; goods flow left to right: inputs left of the product, the products it feeds right of it.
    const width = 480 + 300 * depth, height = Math.max(160, rows * 34 + 40);
    const x = d => (downstream ? 240 + 300 * d : width - 240 - 300 * d);
    const pos = new Map();
    columns.forEach((col, d) => col.forEach((p, k) => pos.set(p, [x(d), 20 + (k + 0.5) * ((height - 40) / col.length)])));
    const edges = [];
    for (const [p, d] of layer) for (const l of (downstream ? usesOf : inputsOf)[p]) {
      if (layer.get(downstream ? L.out[l] : L.in[l]) === d + 1) edges.push(l);
    }
    const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    svg.selectAll("*").remove();
    const link = d3.linkHorizontal();
    svg.append("g").attr("fill", "none").selectAll("path").data(edges).join("path")
      .attr("d", l => link({ source: pos.get(L.in[l]), target: pos.get(L.out[l]) }))
      .attr("stroke", l => (L.prec[l] == null ? "#999" : precisionColor(L.prec[l])))
      .attr("stroke-width", l => 1 + 3 / L.rank[l]).attr("stroke-dasharray", l => REF_DASH[refLabel(l)])
      .attr("data-ref", refLabel)
      .append("title").text(linkTitle);
    const node = svg.append("g").selectAll("g").data([...layer.keys()]).join("g").attr("class", "node")
      .attr("transform", p => `translate(${pos.get(p)})`).on("click", (e, p) => { location.hash = productHref(p); });
    node.append("circle").attr("r", p => (p === root ? 9 : 6)).attr("fill", p => (P.level[p] == null ? "#bbb" : levelColor(P.level[p])));
    const outer = downstream ? "right" : "left", inner = downstream ? "left" : "right";
    const side = p => (p === root ? inner : layer.get(p) === depth ? outer : "above");
    node.append("text").attr("class", "halo").attr("dy", p => (side(p) === "above" ? "-0.9em" : "0.35em"))
      .attr("x", p => ({ right: 14, left: -14, above: 0 })[side(p)])
      .attr("text-anchor", p => ({ right: "start", left: "end", above: "middle" })[side(p)])
      .text(p => `${P.hs[p]} ${shortName(P.name[p], 28)}`);
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
      return { source: nodeOf(`${countryName(a)} →`), target: nodeOf(`→ ${countryName(b)}`), value };
    });
    // Margins wide enough for a country's name and its value beside the nodes.
    const width = 940, height = Math.max(220, names.length * 22);
    svg.attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    const graph = d3.sankey().nodeWidth(12).nodePadding(8).extent([[200, 10], [width - 200, height - 10]])({ nodes: names, links });
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

  // The evidence of a link, as every table shows it.
  const evidenceColumns = [
    { label: "est. precision", num: true, cell: l => fixed(L.prec[l]), value: l => L.prec[l] },
    { label: "reference", cell: l => [el("span", { class: `ref-${refLabel(l)}`, "data-ref": refLabel(l) }, REF_TEXT[refLabel(l)]),
      L.share[l] ? ` (${(100 * L.share[l]).toFixed(1)}% of inputs)` : ""], value: l => refLabel(l) },
    { label: "confidence", num: true, cell: l => fixed(L.conf[l], 3), value: l => L.conf[l] }];
  const methodColumns = methodNames.map(m => ({ label: D.method_labels[m], num: true, cell: l => L.method_ranks[m][l] ?? "–",
    value: l => L.method_ranks[m][l] }));

  function productTrade(p) {
    const T = D.product_trade, rows = d3.range(T.product.length).filter(t => T.product[t] === p);
    const side = flow => {
      const mine = rows.filter(t => T.flow[t] === flow);
      return mine.length ? table(`product-${flow ? "importers" : "exporters"}-table`, [
        { label: flow ? "importer" : "exporter", cell: t => regionLink(T.place[t]), value: t => placeName(T.place[t]) },
        { label: "value", num: true, cell: t => usd(T.value[t]), value: t => T.value[t] },
        { label: "RCA", num: true, cell: t => fixed(T.rca[t]), value: t => T.rca[t] }], mine, t => regionHref(T.place[t]))
        : el("p", {}, `No place ${flow ? "imports" : "exports"} it in this run.`);
    };
    return el("div", { class: "grid" },
      el("div", { class: "card" }, el("h2", {}, "Largest exporters"), side(0)),
      el("div", { class: "card" }, el("h2", {}, "Largest importers"), side(1)));
  }

  function productPage(p) {
    document.body.dataset.page = "product";
    const depth = Number(sessionStorage.getItem("depth") || D.meta.depth);
    const downstream = sessionStorage.getItem("direction") === "downstream";
    const inputs = inputsOf[p], uses = usesOf[p].slice().sort((a, b) => (L.prec[b] ?? -1) - (L.prec[a] ?? -1) || L.rank[a] - L.rank[b]);
    const rejected = inputs.filter(l => refLabel(l) === "false").length;
    const chips = [`section ${P.section[p] || ""}: ${sectionName.get(P.section[p]) || ""}`,
      `trophic level ${fixed(P.level[p])}`, `PCI ${fixed(P.pci[p])}`, plural(inputs.length, "input"), `feeds ${plural(uses.length, "product")}`];
    const depthSelect = el("select", { id: "depth" }, [1, 2, 3, 4].map(d => el("option", { selected: d === depth }, d)));
    const directionSelect = el("select", { id: "direction" },
      el("option", { value: "upstream", selected: !downstream }, "its inputs (upstream)"),
      el("option", { value: "downstream", selected: downstream }, "what it feeds (downstream)"));
    const layers = svgElement("layers");
    const inputsTable = inputs.length ? table("inputs-table", [
      { label: "rank", num: true, cell: l => L.rank[l], value: l => L.rank[l] },
      { label: "input", cell: l => productLink(L.in[l]), value: l => P.hs[L.in[l]] },
      ...evidenceColumns,
      { label: "level", num: true, cell: l => fixed(P.level[L.in[l]]), value: l => P.level[L.in[l]] }],
    inputs, l => productHref(L.in[l]), l => ({ "data-hs": P.hs[L.in[l]], class: `link-${refLabel(l)}` }))
      : el("p", {}, nL ? "No inputs in this network." : NO_LINKS);
    const usesTable = uses.length ? table("uses-table", [
      { label: "output", cell: l => productLink(L.out[l]), value: l => P.hs[L.out[l]] },
      { label: "as input no.", num: true, cell: l => L.rank[l], value: l => L.rank[l] },
      ...evidenceColumns],
    uses, l => productHref(L.out[l]), l => ({ "data-hs": P.hs[L.out[l]], class: `link-${refLabel(l)}` }))
      : el("p", {}, nL ? "It is no input of any product in this network." : NO_LINKS);
    const methodsTable = inputs.length && methodColumns.length ? table("methods-side-table", [
      { label: "input", cell: l => productLink(L.in[l]), value: l => P.hs[L.in[l]] },
      { label: `${D.meta.link_method} (shown)`, num: true, cell: l => L.rank[l], value: l => L.rank[l] }, ...methodColumns],
    inputs, l => productHref(L.in[l])) : null;
    main.replaceChildren(...[
      el("h1", { id: "product-title" }, code(P.hs[p]), " ", P.name[p] || ""),
      el("div", { class: "chips" }, chips.map(c => el("span", {}, c))),
      rejected ? el("p", { class: "warning", id: "rejected-inputs" },
        `${rejected} of its ${inputs.length} inputs are not links of the product reference (marked ✗ below): ` +
        "read them as hypotheses, not as known inputs.") : null,
      el("div", { class: "card" }, el("div", { class: "controls" }, el("label", {}, "Show ", directionSelect),
        el("label", {}, "steps ", depthSelect), drawingTools(layers, `value_chain_${P.hs[p]}`),
        note("Goods flow left to right. Node colour: trophic level (viridis, low = upstream). Edge colour: estimated " +
          "precision, the share of links of that strength the product reference confirms, estimated on other products " +
          "(red 0, blue 1); width: rank; solid = a link of the product reference, dashed = not a link there, dotted = " +
          "not scorable.")), layers),
      el("div", { class: "grid", id: "links-grid" },
        el("div", { class: "card" }, el("h2", {}, "Inputs"), inputsTable),
        el("div", { class: "card" }, el("h2", {}, "Products it feeds"), usesTable)),
      methodsTable ? el("div", { class: "card" }, el("h2", {}, "Link methods side by side"),
        note("The rank each method gives each input of this product (– : not among its top inputs)."), methodsTable) : null,
      ...(hasTrade ? [el("h2", {}, "Who trades it"), productTrade(p), ...flowsSection(p, inputs)]
        : [note("This run has no trade data: no flows.")])].filter(Boolean));
    const redraw = () => drawLayers(layers, p, Number(depthSelect.value), directionSelect.value === "downstream");
    depthSelect.addEventListener("change", e => { sessionStorage.setItem("depth", e.target.value); redraw(); });
    directionSelect.addEventListener("change", e => { sessionStorage.setItem("direction", e.target.value); redraw(); });
    redraw();
  }

  function linkEvidence(links) {
    if (links.length !== 1) {
      const count = label => links.filter(l => refLabel(l) === label).length;
      return `${links.length} input links: ${count("true")} in the product reference, ${count("false")} not in it ` +
        `(their flows are hypotheses), ${count("unscorable")} not scorable.`;
    }
    const l = links[0];
    return `Link ${P.hs[L.in[l]]} → ${P.hs[L.out[l]]}: estimated precision ${fixed(L.prec[l])}, ${REF_TEXT[refLabel(l)]}` +
      `${refLabel(l) === "false" ? " (these flows are a hypothesis)" : ""}, confidence ${fixed(L.conf[l], 3)}.`;
  }

  function flowsSection(p, inputs) {
    const choice = el("select", { id: "flow-link" }, el("option", { value: "all" }, "all inputs"),
      inputs.map(l => el("option", { value: l },
        `${P.hs[L.in[l]]} ${shortName(P.name[L.in[l]], 40)} (precision ${fixed(L.prec[l])}, ${refLabel(l) === "true" ? "✓" : refLabel(l) === "false" ? "✗" : "–"})`)));
    const svg = svgElement("sankey"), flowTable = el("div", { id: "flow-table" });
    const evidence = el("p", { id: "link-evidence", class: "evidence" });
    const showFlows = () => {
      const links = choice.value === "all" ? inputs : [Number(choice.value)];
      evidence.textContent = links.length ? linkEvidence(links) : "";
      sankey(svg, links.flatMap(l => countryFlowsOf[l]));
      const R = D.region_flows;
      const rows = links.flatMap(l => regionFlowsOf[l]).sort((a, b) => R.value[b] - R.value[a]).slice(0, 40);
      flowTable.replaceChildren(el("h2", {}, "Largest region-to-region flows"), rows.length ? table("flows-table", [
        { label: "input", cell: r => productLink(L.in[R.link[r]]), value: r => P.hs[L.in[R.link[r]]] },
        { label: "from", cell: r => regionLink(R.from[r]), value: r => placeName(R.from[r]) },
        { label: "to", cell: r => regionLink(R.to[r]), value: r => placeName(R.to[r]) },
        { label: "flow (USD)", num: true, cell: r => usd(R.value[r]), value: r => R.value[r] },
        { label: "lower", num: true, cell: r => usd(R.lower[r]), value: r => R.lower[r] },
        { label: "upper", num: true, cell: r => usd(R.upper[r]), value: r => R.upper[r] },
        { label: "link precision", num: true, cell: r => fixed(L.prec[R.link[r]]), value: r => L.prec[R.link[r]] },
        { label: "reference", cell: r => el("span", { class: `ref-${refLabel(R.link[r])}` }, REF_TEXT[refLabel(R.link[r])]),
          value: r => refLabel(R.link[r]) }], rows)
        : el("p", {}, nL ? "No region-to-region flows for these links." : NO_LINKS),
      note(`The ${D.meta.top_flows} largest region pairs of each link are in the page; all of them: `,
        code(`valuechain flows --run results/${D.meta.run} --input ... --output ${P.hs[p]} --by region`), "."));
    };
    choice.addEventListener("change", showFlows);
    const section = [el("h2", {}, "Where its inputs come from"),
      el("div", { class: "card" }, el("div", { class: "controls" }, el("label", {}, "Input link ", choice),
        drawingTools(svg, `flows_${P.hs[p]}`), evidence,
        note(`Allocated flows (docs/method.md section 6), USD: the input exported by one country and imported by another ` +
          `to make ${P.hs[p]}. Country pairs: the largest ${D.meta.top_country_flows} per link.`)), svg, flowTable)];
    showFlows();
    return section;
  }

  // ------------------------------------------------------------------------------------- overview page
  function sectionNetwork(svgNode) {
    const S = D.sections, E = D.section_links, n = S.id.length, width = 1100, height = 640, r = 250;
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
      .attr("text-anchor", i => (Math.cos(angle(i)) >= 0 ? "start" : "end")).attr("class", "halo")
      .text(i => `${S.id[i]} ${shortName(S.name[i], 30)}`.trim());
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
      cell: r => (typeof r[k] === "number" && !Number.isInteger(r[k]) ? r[k].toFixed(3) : r[k]), value: r => r[k] })), t.rows);
  }

  function overviewPage() {
    document.body.dataset.page = "overview";
    const ordered = d3.range(nP).filter(i => P.level[i] != null).sort((a, b) => P.level[a] - P.level[b]);
    const list = (id, ids) => table(id, [{ label: "product", cell: i => productLink(i), value: i => P.hs[i] },
      { label: "level", num: true, cell: i => fixed(P.level[i]), value: i => P.level[i] }], ids, productHref);
    const sections = svgElement("sections"), histogram = levels.length ? svgElement("levels") : note("No trophic levels in this run.");
    const start = productIndex.has(D.meta.product) ? ["Search a product above, or start from ", productLink(productIndex.get(D.meta.product)), "."]
      : ["Search a product above."];
    main.replaceChildren(
      el("h1", {}, `Run ${D.meta.run}`),
      el("p", {}, `${nP} products and ${nL} links (${D.meta.link_method} network, ${D.meta.method}, ${D.meta.k} inputs per product). `,
        start, hasTrade ? [` ${D.regions.place.length} regions of ${D.country_positions.country.length} countries: `,
          el("a", { href: "#/regions" }, "regions"), "."] : null),
      el("div", { class: "card" }, el("h2", {}, "HS sections: links between them"), drawingTools(sections, "sections"), sections,
        note("Node size: products of the section. Edge width: the links from S to T over all links leaving S and " +
          `entering T, n(S→T) / (out(S) + in(T)), a pure number (the ${D.meta.top_section_edges} heaviest between ` +
          "different sections).")),
      el("div", { class: "grid" },
        el("div", { class: "card" }, el("h2", {}, "Trophic levels of the products"),
          levels.length ? drawingTools(histogram, "trophic_levels") : null, histogram,
          note("Trophic level (MacKay, Johnson & Sansom; docs/method.md section 7): each link climbs as near one level as " +
            "the network allows; the most upstream product of each component is at 1.")),
        el("div", { class: "card" }, el("h2", {}, "Most upstream"), list("upstream-table", ordered.slice(0, 8)),
          el("h2", {}, "Most downstream"), list("downstream-table", ordered.slice(-8).reverse()))),
      el("h2", {}, "Link methods compared"), el("div", { class: "card" }, smallTable("methods-table", D.tables.methods),
        note("Precision of each method's top links on each yardstick; held_out false marks in-sample figures.")),
      el("h2", {}, "Against the product reference (BEA 2017 detailed Use table)"),
      el("div", { class: "card" }, smallTable("reference-table", D.tables.reference)));
    if (!sectionNetwork(sections)) sections.after(el("p", { id: "no-section-links" }, nL ? "No links between different sections." : NO_LINKS));
    if (levels.length) levelHistogram(histogram);
  }

  // -------------------------------------------------------------------------------------- region pages
  const positionColumns = (key) => [
    { label: "TL imports", num: true, cell: r => fixed(key.tl_imp[r]), value: r => key.tl_imp[r] },
    { label: "TL exports", num: true, cell: r => fixed(key.tl_exp[r]), value: r => key.tl_exp[r] },
    { label: "jump", num: true, cell: r => fixed(key.jump[r], 3), value: r => key.jump[r] },
    { label: "NITL", num: true, cell: r => fixed(key.nitl[r], 3), value: r => key.nitl[r] },
    { label: "NTJ", num: true, cell: r => fixed(key.ntj[r], 4), value: r => key.ntj[r] },
    { label: "diversification", num: true, cell: r => key.diversification[r], value: r => key.diversification[r] }];

  function regionsPage() {
    document.body.dataset.page = "regions";
    if (!hasTrade) { main.replaceChildren(el("h1", {}, "Regions"), el("p", {}, "This run has no trade data, so no regions.")); return; }
    const C = D.country_positions, R = D.regions;
    const regionRows = d3.range(R.place.length).sort((a, b) => d3.ascending(placeName(R.place[a]), placeName(R.place[b])));
    main.replaceChildren(el("h1", {}, "Regions"),
      note("Trophic position (docs/method.md section 7): mean trophic level of the products a place imports and exports " +
        "with RCA ≥ 1, the jump between them, and both over the log of its export diversification (NITL, NTJ)."),
      el("h2", {}, "Countries"), el("div", { class: "card" }, table("countries-table",
        [{ label: "country", cell: r => countryName(C.country[r]) }, ...positionColumns(C)], d3.range(C.country.length))),
      el("h2", {}, "Regions"), el("div", { class: "card" }, regionRows.length ? table("regions-table",
        [{ label: "region", cell: r => regionLink(R.place[r]), value: r => placeName(R.place[r]) }, ...positionColumns(R)],
        regionRows, r => regionHref(R.place[r]))
        : el("p", { id: "no-regions" }, nL ? "No region has a trophic position in this run." : NO_LINKS)));
  }

  function regionPage(country, region) {
    const place = d3.range(D.places.region.length).find(p => countryOf(p) === country && D.places.region[p] === region);
    if (!hasTrade || place === undefined || !regionRow.has(place)) {
      notFound(location.hash, hasTrade ? `this run has no region ${region} of ${country}` : "this run has no trade data, so no regions");
      return;
    }
    document.body.dataset.page = "region";
    const R = D.regions, row = regionRow.get(place), T = D.trade;
    const trade = flow => table(`${flow ? "imports" : "exports"}-table`, [
      { label: "product", cell: t => productLink(T.product[t]), value: t => P.hs[T.product[t]] },
      { label: "value (USD)", num: true, cell: t => usd(T.value[t]), value: t => T.value[t] },
      { label: "RCA", num: true, cell: t => fixed(T.rca[t]), value: t => T.rca[t] },
      { label: "level", num: true, cell: t => fixed(P.level[T.product[t]]), value: t => P.level[T.product[t]] }],
    tradeOf[place].filter(t => T.flow[t] === flow), t => productHref(T.product[t]));
    const scatter = svgElement("scatter");
    main.replaceChildren(el("h1", { id: "region-title" }, placeName(place)),
      el("div", { class: "card" }, table("position-table", positionColumns(R), [row])),
      el("div", { class: "grid" }, el("div", { class: "card" }, el("h2", {}, "Where it sits among all regions"),
        drawingTools(scatter, "trophic_position"), scatter,
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
