// Hostile mail: HTML (and headers) that try to run script, navigate, submit,
// or load anything from a server other than the bridge. Each message names its
// trick in the subject ("Hostile 07: ..."). `TRACKER` is replaced by the origin
// of a server the test runs, so any load that gets out is counted there.
//
// Script payloads call `mark()`, which the test watches for: a console line,
// a dialog, a title change, a property on the parent window, and a fetch.

const MARK =
  "console.log('HOSTILE-RAN');try{parent.__hostile=1;top.__hostile=1;top.document.title='HOSTILE'}catch(e){};alert('HOSTILE');fetch('TRACKER/script-ran')";

/** The payload as inline script text and as an attribute value (it has no double quotes). */
const run = MARK;
const attr = MARK;

const PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const SVG_SCRIPT = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="${attr}"><script>${run}</script></svg>`).toString("base64");
const HTML_SCRIPT = Buffer.from(`<script>${run}</script>`).toString("base64");

/**
 * The HTML bodies, in order. Each is [trick, html].
 * @type {[string, string][]}
 */
const HTML = [
  ["script element", `<p>Hello</p><script>${run}</script>`],
  ["img onerror", `<img src="x" onerror="${attr}">`],
  ["body onload", `<body onload="${attr}"><p>Body</p></body>`],
  ["javascript: link", `<a href="javascript:${attr}">Click me</a>`],
  ["entity-encoded javascript: link", `<a href="&#106;&#97;vascript&#58;alert('HOSTILE')">Click</a><a href="  java\tscript:alert(1)">Tab</a>`],
  ["iframe javascript: src", `<iframe src="javascript:${attr}"></iframe>`],
  ["iframe srcdoc", `<iframe srcdoc="<script>${attr.replace(/'/g, "&#39;")}</script>"></iframe>`],
  ["remote iframe", `<iframe src="TRACKER/frame.html"></iframe>`],
  ["svg onload", `<svg onload="${attr}"><circle r="5"/></svg>`],
  ["svg script", `<svg><script>${run}</script></svg>`],
  ["svg xlink javascript", `<svg><a xlink:href="javascript:${attr}"><text y="20">x</text></a></svg>`],
  ["svg animate onbegin", `<svg><animate onbegin="${attr}" attributeName="x" dur="1s"/></svg>`],
  ["svg style namespace confusion", `<svg></p><style><a id="</style><img src=1 onerror=${attr.replace(/ /g, "")}>">`],
  ["math mglyph mXSS", `<math><mtext><table><mglyph><style><img src=x onerror="${attr}">`],
  ["math href", `<math href="javascript:${attr}">CLICK</math>`],
  ["noscript mXSS", `<noscript><p title="</noscript><img src=x onerror=${attr.replace(/ /g, "")}>"></noscript>`],
  ["xmp mXSS", `<xmp><p title="</xmp><img src=x onerror=${attr.replace(/ /g, "")}>"></xmp>`],
  ["template script", `<template><script>${run}</script></template><p>t</p>`],
  ["details ontoggle", `<details open ontoggle="${attr}"><summary>s</summary>d</details>`],
  ["malformed nested script", `<<script>${run}//<</script><scr<script>ipt>${run}</script>`],
  ["remote script src", `<script src="TRACKER/script.js"></script>`],
  ["form with autofocus", `<form action="TRACKER/form" method="post"><input name="q" autofocus onfocus="${attr}"><button>Send</button></form>`],
  ["base href", `<base href="TRACKER/"><img src="relative-pixel.gif"><a href="relative">rel</a>`],
  ["meta refresh", `<meta http-equiv="refresh" content="0;url=TRACKER/refresh">`],
  ["meta refresh to javascript", `<meta http-equiv="refresh" content="0;url=javascript:${attr}">`],
  ["link stylesheet", `<link rel="stylesheet" href="TRACKER/style.css"><p>styled</p>`],
  ["link prefetch and dns-prefetch", `<link rel="prefetch" href="TRACKER/prefetch"><link rel="preload" as="image" href="TRACKER/preload.png">`],
  ["style @import", `<style>@import url(TRACKER/import.css); @import "TRACKER/import2.css";</style><p>x</p>`],
  ["style background url", `<style>body{background:url(TRACKER/bg.png)} p{list-style-image:url("TRACKER/list.png")}</style><p>x</p>`],
  ["inline style url", `<div style="background-image:url('TRACKER/inline-bg.png');width:10px;height:10px">x</div>`],
  ["css escapes hide url()", `<div style="background:\\75 rl(TRACKER/escaped.png);width:10px;height:10px">x</div><style>p{background:u\\72 l(TRACKER/escaped2.png)}</style><p>y</p>`],
  ["image-set", `<div style="background-image:image-set('TRACKER/imageset.png' 1x);width:10px;height:10px">x</div>`],
  ["font-face", `<style>@font-face{font-family:evil;src:url(TRACKER/font.woff)}body{font-family:evil}</style><p>font</p>`],
  ["behavior and binding", `<div style="behavior:url(TRACKER/x.htc);-moz-binding:url(TRACKER/x.xml#x)">b</div>`],
  ["tracking pixel", `<p>Newsletter</p><img src="TRACKER/pixel.gif" width="1" height="1" alt="">`],
  ["protocol-relative image", `<img src="//TRACKERHOST/protocol-relative.png">`],
  ["srcset", `<img srcset="TRACKER/srcset.png 1x, TRACKER/srcset2.png 2x" alt="s">`],
  ["picture source", `<picture><source srcset="TRACKER/picture.png"><img src="data:image/png;base64,${PNG_1X1}" alt="p"></picture>`],
  ["lazy image", `<img src="TRACKER/lazy.png" loading="lazy">`],
  ["table and body background", `<body background="TRACKER/body-bg.png"><table background="TRACKER/table-bg.png"><tr><td background="TRACKER/td-bg.png">t</td></tr></table></body>`],
  ["input type=image", `<input type="image" src="TRACKER/input.png">`],
  ["object and embed", `<object data="TRACKER/object.swf"></object><embed src="TRACKER/embed.swf"><applet code="x" codebase="TRACKER/"></applet>`],
  ["video and audio", `<video poster="TRACKER/poster.png" autoplay><source src="TRACKER/video.mp4"></video><audio src="TRACKER/audio.mp3" autoplay></audio>`],
  ["data: URL link and frame", `<a href="data:text/html;base64,${HTML_SCRIPT}">data link</a><iframe src="data:text/html;base64,${HTML_SCRIPT}"></iframe>`],
  ["svg data: image", `<img src="data:image/svg+xml;base64,${SVG_SCRIPT}" alt="svg">`],
  ["anchor ping", `<a href="https://example.org/" ping="TRACKER/ping">ping</a>`],
  ["missing cid with onerror", `<img src="cid:missing@example.org" onerror="${attr}">`],
  ["style breakout", `<style></style><script>${run}</script><style>p{}</style><p>after</p>`],
];

/**
 * Messages whose trick is in the headers or the text part rather than HTML.
 * Each is [trick, headers for the message's subject prefix, content type, body].
 * @type {[string, (prefix: string) => string[], string, string][]}
 */
const OTHER = [
  [
    "encoded-word script in subject and name",
    (prefix) => [
      `Subject: =?UTF-8?B?${Buffer.from(`${prefix}: <script>${run}</script>`).toString("base64")}?=`,
      `From: =?UTF-8?Q?=3Cimg_src=3Dx_onerror=3Dalert=281=29=3E?= <evil@example.org>`,
    ],
    "text/plain; charset=utf-8",
    "The subject and sender name are HTML; they must show as text.",
  ],
  [
    "html in a text/plain part",
    () => [],
    "text/plain; charset=utf-8",
    `<script>${run}</script>\njavascript:alert(1)\n<img src="TRACKER/plain.png">\nhttps://example.org/ok`,
  ],
];

/**
 * The corpus as raw messages, newest first by Date, so the list shows them in order.
 * @param {string} tracker the tracker's origin, e.g. "http://127.0.0.1:4567"
 * @returns {{subject: string, raw: string, trick: string}[]}
 */
export function hostileMessages(tracker) {
  const host = new URL(tracker).host;
  const fill = (text) => text.replaceAll("TRACKERHOST", host).replaceAll("TRACKER", tracker);
  const all = [
    ...HTML.map(([trick, html]) => ({ trick, headers: () => [], type: "text/html; charset=utf-8", body: `<!doctype html><html><head><title>t</title></head><body>${html}</body></html>` })),
    ...OTHER.map(([trick, headers, type, body]) => ({ trick, headers, type, body })),
  ];
  const start = Date.UTC(2026, 9, 1, 12, 0, 0);
  return all.map((message, index) => {
    const number = String(index + 1).padStart(2, "0");
    const subject = `Hostile ${number}: ${message.trick}`;
    const date = new Date(start - index * 60_000).toUTCString().replace("GMT", "+0000");
    const custom = message.headers(`Hostile ${number}`).map(fill);
    const headers = [
      custom.some((header) => header.startsWith("From:")) ? null : "From: Mallory <mallory@evil.example>",
      "To: Alice <alice@example.org>",
      custom.some((header) => header.startsWith("Subject:")) ? null : `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: <hostile-${number}@evil.example>`,
      "MIME-Version: 1.0",
      `Content-Type: ${message.type}`,
      "Content-Transfer-Encoding: 8bit",
      ...custom,
    ].filter(Boolean);
    const encodedSubject = custom.some((header) => header.startsWith("Subject:"));
    return { subject: encodedSubject ? `Hostile ${number}: <script>${run}</script>` : subject, trick: message.trick, raw: `${headers.join("\r\n")}\r\n\r\n${fill(message.body).replace(/\r?\n/g, "\r\n")}\r\n` };
  });
}
