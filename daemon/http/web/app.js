// ttsd control page. Talks to the HTTP API of the ttsd that served it:
//   GET /v1/voices, POST /v1/audio/speech (with "channel": queued, 202), GET /v1/channels/NAME/events
//   (server-sent events, read with fetch so that the bearer token can go in a header),
//   POST /v1/channels/NAME/skip and /clear, POST /v1/voices (a saved voice from recordings, multipart).
'use strict';

const AXES = ['happy', 'angry', 'sad', 'afraid', 'disgusted', 'melancholic', 'surprised', 'calm'];
const params = new URLSearchParams(location.search);
const token = params.get('token');
const $ = (id) => document.getElementById(id);

if (params.get('theme') === 'light') document.documentElement.classList.add('light');

function headers(extra) {
  const h = Object.assign({}, extra);
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

async function api(method, path, body) {
  const init = { method, headers: headers(body ? { 'Content-Type': 'application/json' } : {}) };
  if (body) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((data.error && data.error.message) || res.status + ' ' + res.statusText);
  return data;
}

function say(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = kind || '';
}

// ---- voices ----

let voices = [];  // {value, label, speakers}

async function loadVoices() {
  const list = await api('GET', '/v1/voices');
  voices = list.voices.map((v) => ({ value: v.name, label: v.name, speakers: v.speakers }));
  for (const s of list.saved) voices.push({ value: s.name, label: s.name + ' (saved)', speakers: [] });
  const select = $('voice');
  select.replaceChildren(...voices.map((v) => new Option(v.label, v.value)));
  $('nv-base').replaceChildren(...list.voices.map((v) => new Option(v.name, v.name)));
  $('nv-base').value = list.default_voice;
  const wanted = params.get('voice') || localStorage.getItem('ttsd.voice') || list.default_voice;
  if (voices.some((v) => v.value === wanted)) select.value = wanted;
  fillSpeakers();
}

function fillSpeakers() {
  const voice = voices.find((v) => v.value === $('voice').value);
  const speakers = voice ? voice.speakers : [];
  const select = $('speaker');
  select.replaceChildren(...speakers.map((s) => new Option(s, s)));
  select.disabled = speakers.length === 0;
  const wanted = localStorage.getItem('ttsd.speaker');
  if (speakers.includes(wanted)) select.value = wanted;
}

// ---- emotion ----

function buildSliders() {
  for (const axis of AXES) {
    const label = document.createElement('label');
    label.className = 'slider';
    label.innerHTML = `${axis} <input type="range" min="0" max="1" step="0.05" value="0" data-axis="${axis}"><output>0.00</output>`;
    $('emotions').append(label);
  }
  $('emotion-box').addEventListener('input', (e) => {
    const out = e.target.nextElementSibling;
    if (out && out.tagName === 'OUTPUT') out.textContent = Number(e.target.value).toFixed(2);
    summarizeEmotion();
  });
  $('emotion-reset').addEventListener('click', () => {
    for (const input of $('emotions').querySelectorAll('input')) {
      input.value = 0;
      input.nextElementSibling.textContent = '0.00';
    }
    summarizeEmotion();
  });
}

function emotion() {
  const e = {};
  for (const input of $('emotions').querySelectorAll('input')) {
    if (Number(input.value) > 0) e[input.dataset.axis] = Number(input.value);
  }
  return Object.keys(e).length ? e : null;
}

function summarizeEmotion() {
  const e = emotion();
  $('emotion-summary').textContent = e ? Object.entries(e).map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
}

// ---- speaking ----

function channel() {
  return $('channel').value.trim();
}

async function speak() {
  const text = $('text').value.trim();
  if (!text) return say('Type something first.', 'error');
  const body = { input: text, voice: $('voice').value, channel: channel() };
  if (!$('speaker').disabled && $('speaker').value) body.speaker = $('speaker').value;
  const e = emotion();
  if (e) {
    body.emotion = e;
    body.emotion_alpha = Number($('intensity').value);
  }
  if ($('interrupt').checked) body.interrupt = true;
  $('speak').disabled = true;
  try {
    await api('POST', '/v1/audio/speech', body);
    say('Queued on ' + body.channel + '.', 'ok');
    $('text').value = '';
  } catch (err) {
    say(err.message, 'error');
  } finally {
    $('speak').disabled = false;
    $('text').focus();
  }
}

async function control(action) {
  try {
    render(await api('POST', `/v1/channels/${encodeURIComponent(channel())}/${action}`));
  } catch (err) {
    say(err.message, 'error');
  }
}

// ---- a new voice from recordings ----

async function saveVoice() {
  const name = $('nv-name').value.trim();
  const files = $('nv-files').files;
  if (!name) return say('Name the new voice first.', 'error');
  if (!files.length) return say('Choose one or more recordings.', 'error');
  const form = new FormData();
  form.append('name', name);
  form.append('voice', $('nv-base').value);
  if ($('nv-text').value.trim()) form.append('reference_text', $('nv-text').value.trim());
  if ($('nv-replace').checked) form.append('replace', 'true');
  for (const f of files) form.append('file', f, f.name);
  $('nv-save').disabled = true;
  try {
    // No Content-Type of ours: the browser writes multipart/form-data with its boundary.
    const res = await fetch('/v1/voices', { method: 'POST', headers: headers(), body: form });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || res.status + ' ' + res.statusText);
    say(`Saved voice ${data.name} (${data.references} recordings, ${data.seconds.toFixed(1)} s).`, 'ok');
    localStorage.setItem('ttsd.voice', data.name);
    await loadVoices();
    $('voice').value = data.name;
    fillSpeakers();
  } catch (err) {
    say(err.message, 'error');
  } finally {
    $('nv-save').disabled = false;
  }
}

// ---- the queue, live ----

function render(status) {
  const parts = [status.playing ? 'playing' : 'idle', `${status.listeners} listening`];
  if (status.underruns) parts.push(`${status.underruns} underruns`);
  $('channel-state').textContent = `${status.channel}: ${parts.join(' · ')}`;
  const items = [];
  if (status.playing && status.current) {
    const li = document.createElement('li');
    li.className = 'current';
    li.textContent = status.current.text;
    const played = document.createElement('span');
    played.className = 'played';
    played.textContent = status.current.played_s.toFixed(1) + ' s';
    li.append(played);
    items.push(li);
  }
  for (const entry of status.queue) {
    const li = document.createElement('li');
    li.textContent = entry.text;
    items.push(li);
  }
  $('queue').replaceChildren(...items);
}

let events = null;  // AbortController of the event stream

async function follow() {
  if (events) events.abort();
  const name = channel();
  if (!name) return;
  const mine = (events = new AbortController());
  try {
    const res = await fetch(`/v1/channels/${encodeURIComponent(name)}/events`, { headers: headers(), signal: mine.signal });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error?.message || res.statusText);
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
        const lines = block.split('\n');
        if (!lines.includes('event: status')) continue;  // the words played are the captions page's
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
        if (data) render(JSON.parse(data));
      }
    }
  } catch (err) {
    if (mine.signal.aborted) return;
    $('channel-state').textContent = `${name}: ${err.message}`;
  }
  if (!mine.signal.aborted) setTimeout(() => events === mine && follow(), 2000);  // reconnect
}

// ---- start ----

function start() {
  buildSliders();
  $('channel').value = params.get('channel') || localStorage.getItem('ttsd.channel') || 'stream';
  $('voice').addEventListener('change', () => {
    localStorage.setItem('ttsd.voice', $('voice').value);
    fillSpeakers();
  });
  $('speaker').addEventListener('change', () => localStorage.setItem('ttsd.speaker', $('speaker').value));
  $('intensity').addEventListener('input', () => ($('intensity-value').textContent = Number($('intensity').value).toFixed(2)));
  $('channel').addEventListener('change', () => {
    localStorage.setItem('ttsd.channel', channel());
    follow();
  });
  $('speak').addEventListener('click', speak);
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) speak();
  });
  $('skip').addEventListener('click', () => control('skip'));
  $('clear').addEventListener('click', () => control('clear'));
  $('nv-save').addEventListener('click', saveVoice);
  loadVoices().then(() => (document.body.dataset.ready = 'true'), (err) => say('Voices: ' + err.message, 'error'));
  follow();
}

start();
