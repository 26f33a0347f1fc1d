// ttsd's captions page: follows GET /v1/channels/NAME/events (read with fetch, so that a bearer token
// can go in a header) and shows the channel's words as they are played: each `word` event appends
// the word and highlights it until its end; a `sentence` starts a new line; the last `lines` lines
// stay, older ones leave at the top; `hold` seconds after an utterance ends the captions fade.
// Query parameters (all optional):
//   channel=stream  token=T (the http-token)  font=Georgia  size=40 (px)  weight=700
//   color=white  highlight=ffd400  background=transparent  (colors: CSS names, or hex with or without #)
//   lines=2  align=center|left|right  outline=0 (px)  outline_color=000000  shadow=1|0|CSS text-shadow
//   delay=0 (ms to hold each event back: the listener's own audio latency)  hold=4 (s; 0: never fade)
// Speech text only ever becomes textContent.
'use strict';

const params = new URLSearchParams(location.search);
const token = params.get('token');
const channel = params.get('channel') || 'stream';
const box = document.getElementById('captions');
const text = document.getElementById('text');

function number(name, fallback, min, max) {
  const v = Number(params.get(name));
  return params.has(name) && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

function color(name) {
  const v = params.get(name);
  return v && /^[0-9a-fA-F]{3,8}$/.test(v) ? '#' + v : v;
}

// The look: custom properties that captions.css reads; a value CSS cannot read leaves its default.
function style() {
  const set = (prop, value) => value !== null && value !== '' && box.style.setProperty(prop, value);
  set('--font', params.get('font'));
  if (params.has('size')) set('--size', number('size', 40, 6, 400) + 'px');
  set('--weight', params.get('weight'));
  set('--color', color('color'));
  set('--highlight', color('highlight'));
  if (params.has('lines')) set('--lines', String(Math.round(number('lines', 2, 1, 20))));
  if (['left', 'center', 'right'].includes(params.get('align'))) set('--align', params.get('align'));
  if (params.has('outline')) set('--outline', number('outline', 0, 0, 20) + 'px');
  set('--outline-color', color('outline_color'));
  const shadow = params.get('shadow');
  if (shadow === '0' || shadow === 'none') set('--shadow', 'none');
  else if (shadow && shadow !== '1') set('--shadow', shadow);
  const background = color('background');
  if (background) document.body.style.setProperty('--background', background);
}

const delayMs = number('delay', 0, 0, 10000);
const holdMs = number('hold', 4, 0, 3600) * 1000;
const kKeepSentences = 40;  // older lines are long gone from view

let line = null;      // the .sentence being filled
let current = null;   // the highlighted word
let unlight = 0;      // timer: the highlight's end
let fade = 0;         // timer: hiding after an utterance

function newLine() {
  if (line && line.childElementCount === 0) return line;
  line = document.createElement('div');
  line.className = 'sentence';
  text.append(line);
  while (text.childElementCount > kKeepSentences) text.firstElementChild.remove();
  return line;
}

function light(word) {
  if (current) current.classList.remove('current');
  current = word;
  clearTimeout(unlight);
  if (word) word.classList.add('current');
}

function show() {
  clearTimeout(fade);
  box.classList.remove('idle');
}

const handlers = {
  utterance_start() {
    show();
    newLine();
  },
  sentence() {
    show();
    newLine();
  },
  word(e) {
    show();
    if (!line) newLine();
    const span = document.createElement('span');
    span.className = 'word';
    span.textContent = e.text;
    span.dataset.id = e.id;
    span.dataset.begin = e.text_begin;
    span.dataset.start = e.start_s;
    span.dataset.end = e.end_s;
    if (line.childElementCount > 0) line.append(' ');
    line.append(span);
    light(span);
    unlight = setTimeout(() => light(null), Math.max(0, (e.end_s - e.start_s) * 1000));
  },
  utterance_end() {
    light(null);
    line = null;
    if (holdMs > 0) {
      fade = setTimeout(() => {
        box.classList.add('idle');
        text.replaceChildren();
      }, holdMs);
    }
  },
};

function dispatch(name, data) {
  const handle = handlers[name];
  if (!handle) return;  // status and anything newer
  const event = JSON.parse(data);
  if (delayMs > 0) setTimeout(() => handle(event), delayMs);
  else handle(event);
}

async function follow() {
  for (;;) {
    try {
      const headers = token ? { Authorization: 'Bearer ' + token } : {};
      const res = await fetch(`/v1/channels/${encodeURIComponent(channel)}/events`, { headers });
      if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
      document.body.dataset.connected = 'true';
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let pending = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        let end;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let name = 'message';
          const data = [];
          for (const l of block.split('\n')) {
            if (l.startsWith('event:')) name = l.slice(6).trim();
            else if (l.startsWith('data:')) data.push(l.slice(5));
          }
          if (data.length) dispatch(name, data.join('\n'));
        }
      }
    } catch (err) {
      document.body.dataset.error = err.message;
    }
    document.body.dataset.connected = 'false';
    await new Promise((r) => setTimeout(r, 2000));  // reconnect
  }
}

style();
follow();
