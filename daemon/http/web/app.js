// ttsd control page. Talks to the HTTP API of the ttsd that served it:
//   GET /v1/voices, POST /v1/audio/speech (with "channel": queued, 202), GET /v1/channels/NAME/events
//   (server-sent events, read with fetch so that the bearer token can go in a header),
//   POST /v1/channels/NAME/skip, /clear, /pause, /resume, /volume, DELETE /v1/channels/NAME/items/ID,
//   POST /v1/voices (a saved voice from recordings, multipart),
//   and GET /v1/ws, ttsd's own protocol over a WebSocket, to speak in the page as the user types.
// Preview plays a short sample (POST /v1/audio/speech, WAV) in the page, not on the channel. When ttsd
// cannot be reached, the page says so, clears what it showed, disables what needs ttsd and polls
// GET /health until it is back. Emotion settings are kept in localStorage.
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
  const res = await fetch(path, init).catch(() => {
    unreachable();
    throw new Error('ttsd not reachable — retrying');
  });
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
    label.innerHTML = `<span class="name">${axis}</span> <input type="range" min="0" max="1" step="0.05" value="0" data-axis="${axis}"><output>0.00</output>`;
    $('emotions').append(label);
  }
  restoreEmotion();
  $('emotion-box').addEventListener('input', (e) => {
    const out = e.target.nextElementSibling;
    if (out && out.tagName === 'OUTPUT') out.textContent = Number(e.target.value).toFixed(2);
    summarizeEmotion();
    saveEmotion();
  });
  $('emotion-reset').addEventListener('click', () => {
    for (const input of $('emotions').querySelectorAll('input')) setSlider(input, 0);
    summarizeEmotion();
    saveEmotion();
  });
}

function setSlider(input, value) {
  input.value = value;
  input.nextElementSibling.textContent = Number(input.value).toFixed(2);
}

// The emotion sliders and intensity survive a reload (an OBS dock reloads with OBS).
function saveEmotion() {
  const saved = { intensity: Number($('intensity').value) };
  for (const input of $('emotions').querySelectorAll('input')) saved[input.dataset.axis] = Number(input.value);
  localStorage.setItem('ttsd.emotion', JSON.stringify(saved));
}

function restoreEmotion() {
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem('ttsd.emotion'));
  } catch {
    return;  // not ours, or broken: start neutral
  }
  if (!saved || typeof saved !== 'object') return;
  for (const input of $('emotions').querySelectorAll('input')) {
    if (typeof saved[input.dataset.axis] === 'number') setSlider(input, saved[input.dataset.axis]);
  }
  if (typeof saved.intensity === 'number') setSlider($('intensity'), saved.intensity);
  summarizeEmotion();
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
  if (e) $('intensity-note').hidden = true;
}

// Intensity scales the emotions: with all of them at 0 it does nothing, and the page says so.
function intensityMoved() {
  $('intensity-value').textContent = Number($('intensity').value).toFixed(2);
  $('intensity-note').hidden = emotion() !== null;
}

// ---- speaking ----

function channel() {
  return $('channel').value.trim();
}

// The voice, speaker and emotion chosen, in the field names both APIs share.
function style() {
  const s = { voice: $('voice').value };
  if (!$('speaker').disabled && $('speaker').value) s.speaker = $('speaker').value;
  const e = emotion();
  if (e) {
    s.emotion = e;
    s.emotion_alpha = Number($('intensity').value);
  }
  return s;
}

async function speak() {
  const text = $('text').value.trim();
  if (!text) return say('Type something first.', 'error');
  const body = Object.assign({ input: text, channel: channel(), source: 'page' }, style());
  if ($('interrupt').checked) body.interrupt = true;
  $('speak').disabled = true;
  try {
    const queued = await api('POST', '/v1/audio/speech', body);
    // Nobody listens (a mistyped name, OBS not running): queued, but say it plainly.
    if (queued.warning) say(queued.warning, 'warn');
    else say('Queued on ' + body.channel + '.', 'ok');
    $('text').value = '';
    $('interrupt').checked = false;  // one interruption, not every message after it
  } catch (err) {
    say(err.message, 'error');
  } finally {
    $('speak').disabled = !reachable;
    $('text').focus();
  }
}

// ---- preview: a short sample of the chosen voice and speaker, played here ----

const preview = (window.ttsdPreview = { requests: 0, bytes: 0, played: 0, last: null, error: null });
let previewAudio = null;

async function playPreview() {
  const s = style();
  const who = s.speaker || s.voice || 'the default voice';
  const body = Object.assign({ input: `Hello, this is ${who}. This is how I sound on stream.`, response_format: 'wav' }, s);
  $('preview').disabled = true;
  preview.requests++;
  preview.last = body;
  try {
    const res = await fetch('/v1/audio/speech', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) })
      .catch(() => {
        unreachable();
        throw new Error('ttsd not reachable — retrying');
      });
    if (!res.ok) throw new Error(((await res.json().catch(() => ({}))).error || {}).message || res.status + ' ' + res.statusText);
    const blob = await res.blob();
    preview.bytes = blob.size;
    if (previewAudio) previewAudio.pause();
    previewAudio = new Audio(URL.createObjectURL(blob));
    previewAudio.onended = () => URL.revokeObjectURL(previewAudio.src);
    await previewAudio.play().then(() => preview.played++, () => {});  // no audio device: nothing to hear
    say(`Preview: ${who}.`, 'ok');
  } catch (err) {
    preview.error = err.message;
    say('Preview: ' + err.message, 'error');
  } finally {
    $('preview').disabled = !reachable;
  }
}

// ---- ttsd unreachable: say so, clear what is stale, disable what needs it, retry ----

const NEEDS_TTSD = ['speak', 'preview', 'pause', 'skip', 'clear', 'volume', 'live', 'nv-save'];
let reachable = true;
let probing = null;  // the retry timer while unreachable

function unreachable() {
  if (!reachable) return;
  reachable = false;
  document.body.dataset.reachable = 'false';
  for (const id of NEEDS_TTSD) $(id).disabled = true;
  if (socket) leaveLive();
  const state = $('channel-state');
  state.textContent = 'ttsd not reachable — retrying…';
  state.className = 'down';
  $('queue').replaceChildren();
  say('');
  probing = setTimeout(probe, 1000);
}

async function probe() {
  probing = null;
  const ok = await fetch('/health', { headers: headers(), cache: 'no-store' }).then((r) => r.ok, () => false);
  if (!ok) {
    probing = setTimeout(probe, 2000);
    return;
  }
  reachable = true;
  document.body.dataset.reachable = 'true';
  for (const id of NEEDS_TTSD) $(id).disabled = false;
  $('channel-state').className = '';
  $('channel-state').textContent = 'connecting…';
  say('ttsd is back.', 'ok');
  if (!voices.length) loadVoices().then(ready, (err) => say('Voices: ' + err.message, 'error'));
  follow();
}

async function control(action, body) {
  try {
    render(await api('POST', `/v1/channels/${encodeURIComponent(channel())}/${action}`, body));
  } catch (err) {
    say(err.message, 'error');
  }
}

async function removeItem(id) {
  try {
    render(await api('DELETE', `/v1/channels/${encodeURIComponent(channel())}/items/${id}`));
  } catch (err) {
    say(err.message, 'error');
  }
}

// Clear drops everything: the first click arms it for 3 s, the second clears.
let clearArmed = null;
function clearClicked() {
  const button = $('clear');
  if (clearArmed) {
    clearTimeout(clearArmed);
    clearArmed = null;
    button.textContent = 'Clear';
    button.classList.remove('confirm');
    return control('clear');
  }
  button.textContent = 'Clear all?';
  button.classList.add('confirm');
  clearArmed = setTimeout(() => {
    clearArmed = null;
    button.textContent = 'Clear';
    button.classList.remove('confirm');
  }, 3000);
}

// ---- speaking here, over the WebSocket ----
// "Speak here as I type": one WebSocket to /v1/ws carries ttsd's own protocol (protocol/README.md, "The
// protocol over WebSocket"). What is typed goes out a word at a time as the text of a streaming request;
// Enter closes that text, and the next typing opens a new request while the last one plays out. The audio
// comes back in binary messages, one native audio frame each, and plays back to back through Web Audio.

// Text is sent up to its last word boundary. ttsd speaks streamed text a sentence at a time; a clause
// ended by , ; or : is flushed, so that it is heard while the rest of its sentence is being typed.
const BOUNDARY = /[\s\p{P}]/u;
const CLAUSE_END = /[,;:]\s+$/;

// What the page has done, for tests (and a curious console).
const live = (window.ttsdLive = {
  open: false,         // welcome received, socket open
  requests: 0,         // synthesize sent
  samples: 0,          // PCM samples received, all requests together
  samplesById: {},     // id -> PCM samples received
  ended: [],           // ids that ended with LAST
  errors: [],          // {id, code, name} of every error message
  words: 0,            // word marks received
  id: 0,               // the latest request
  firstAudioAt: null,  // performance.now() of its first audio
  textSentAt: null,    // ... of its first text
  finalSentAt: null,   // ... of its last text
  closeCode: null,     // how the socket last closed
  audio: null,         // the AudioContext
  playEnd: 0,          // context time at which the audio queued so far ends
});

let socket = null;
let typing = 0;  // the request the textarea's text goes to; 0: none yet
let sent = 0;  // characters of the textarea sent to it
let nextId = 1;
let refused = false;  // the server said why it closes (an error with id 0)
const running = new Set();  // requests not ended
const dropped = new Set();  // stopped requests: their late audio is thrown away
const rates = {};  // id -> sample_rate, from accepted
const sources = new Set();  // AudioBufferSourceNodes queued or playing

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function showLive(on) {
  $('live').checked = on;
  $('stop').disabled = !on;
  $('text').placeholder = on ? 'Type: it is spoken as you type (Enter ends it)' : 'Type, then Speak (Ctrl+Enter)';
  $('text').classList.toggle('live', on);
}

function goLive() {
  // Made or resumed in the click that asked for it: browsers let audio start only then.
  if (!live.audio) live.audio = new AudioContext();
  live.audio.resume();
  refused = false;
  showLive(true);
  const ws = (socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/ws'));
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    // Version 3: marks and flush. A browser cannot set Authorization on a WebSocket; the token goes here.
    const hello = { type: 'hello', min_version: 3, max_version: 3, client: 'ttsd control page' };
    if (token) hello.token = token;
    send(hello);
  };
  ws.onmessage = (e) => {
    if (ws !== socket) return;
    if (typeof e.data === 'string') onMessage(JSON.parse(e.data));
    else onAudio(e.data);
  };
  ws.onclose = (e) => {
    live.closeCode = e.code;
    if (ws !== socket) return;  // closed by leaveLive
    forget();
    showLive(false);
    if (!refused) say(`Speak here: the connection closed (${e.code}).`, 'error');
  };
}

function leaveLive() {
  silence();
  const ws = socket;
  forget();
  if (ws) ws.close(1000);  // the server cancels what is still open
  showLive(false);
}

// The socket is gone: so is every request on it.
function forget() {
  socket = null;
  live.open = false;
  typing = sent = 0;
  running.clear();
  dropped.clear();
}

function onMessage(m) {
  if (m.type === 'welcome') {
    live.open = true;
    pump();  // what was typed meanwhile
  } else if (m.type === 'accepted') {
    rates[m.id] = m.body.sample_rate;
  } else if (m.type === 'marks') {
    live.words += m.body.marks.filter((k) => k.kind === 'word').length;
  } else if (m.type === 'error') {
    onError(m.id, m.body);
  }
}

function onError(id, body) {
  live.errors.push({ id, code: body.code, name: body.name });
  const stopped = body.code === 13 && dropped.has(id);  // by our own Stop
  if (id === 0) refused = true;
  else if (body.code !== 11 && body.code !== 12) end(id);  // those two refuse one message, not the request
  if (!stopped) say('Speak here: ' + (body.message || body.name || 'error ' + body.code), 'error');
}

// One audio frame: 12-byte header (flags at 5, request id at 8), 16-byte audio header, s16le mono PCM.
function onAudio(buffer) {
  const v = new DataView(buffer);
  const id = v.getUint32(8, true);
  const pcm = new Int16Array(buffer, 28);  // little-endian, as every browser's platform
  live.samples += pcm.length;
  live.samplesById[id] = (live.samplesById[id] || 0) + pcm.length;
  if (id === live.id && pcm.length && live.firstAudioAt === null) live.firstAudioAt = performance.now();
  if (!dropped.has(id)) play(pcm, rates[id] || v.getUint32(12, true));
  if (v.getUint8(5) & 1) {
    live.ended.push(id);
    end(id);
  }
}

function end(id) {
  running.delete(id);
  dropped.delete(id);
  delete rates[id];
  if (typing === id) typing = 0;  // more typing opens a new request
}

// Queues a chunk right after the one before it (or now, when that one has played).
function play(pcm, rate) {
  if (!pcm.length) return;
  const ctx = live.audio;
  const buffer = ctx.createBuffer(1, pcm.length, rate);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const source = ctx.createBufferSource();
  source.buffer = buffer;
  source.connect(ctx.destination);
  const at = Math.max(ctx.currentTime, live.playEnd);
  source.start(at);
  live.playEnd = at + buffer.duration;
  sources.add(source);
  source.onended = () => sources.delete(source);
}

function silence() {
  for (const source of sources) source.stop();
  sources.clear();
  if (live.audio) live.playEnd = live.audio.currentTime;
}

// Stop: every request still going is cancelled and silenced, and what was typed is dropped.
function stop() {
  for (const id of running) {
    if (!dropped.has(id)) send({ type: 'cancel', id });
    dropped.add(id);
  }
  silence();
  $('text').value = '';
  typing = sent = 0;
  $('text').focus();
}

// Sends what was typed since the last call, up to its last word boundary. Only appended text counts:
// an edit of text already sent is not taken back (the text was shorter: typing goes on from its end).
function pump() {
  if (!live.open) return;
  const text = $('text').value;
  sent = Math.min(sent, text.length);
  let end = text.length;
  while (end > sent && !BOUNDARY.test(text[end - 1])) end--;
  if (end === sent) return;
  sendText(text.slice(sent, end), false, CLAUSE_END.test(text.slice(0, end)));
  sent = end;
}

// Enter: the rest of the text closes the request; the emptied textarea starts the next one.
function finish() {
  if (!live.open) return;
  const text = $('text').value;
  const rest = text.slice(Math.min(sent, text.length));
  if (typing || rest.trim()) sendText(rest, true, false);
  $('text').value = '';
  typing = sent = 0;
}

function sendText(text, final, flush) {
  if (!typing) openRequest();
  send({ type: 'text', id: typing, text, final, flush });
  const now = performance.now();
  if (live.textSentAt === null) live.textSentAt = now;
  if (final) live.finalSentAt = now;
}

function openRequest() {
  typing = live.id = nextId++;
  running.add(typing);
  const body = Object.assign({ final: false, marks: 'words', sample_format: 's16le' }, style());
  send({ type: 'synthesize', id: typing, body });
  live.requests++;
  live.firstAudioAt = live.textSentAt = live.finalSentAt = null;
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

let paused = false;  // as the last status said

// One queue entry: its text (with an ellipsis when the daemon cut it), who asked and through what, and
// a button that removes that item by its id.
function entryItem(entry, current) {
  const li = document.createElement('li');
  li.dataset.item = entry.id;
  if (current) li.className = 'current';
  li.append(entry.text + (entry.text_cut ? '…' : ''));
  const who = [entry.author, entry.source].filter(Boolean).join(' · ');
  if (who) {
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = who;
    li.append(meta);
  }
  if (current) {
    const played = document.createElement('span');
    played.className = 'played';
    played.textContent = entry.played_s.toFixed(1) + ' s';
    li.append(played);
  }
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.title = 'Remove this item';
  remove.textContent = '✕';
  remove.addEventListener('click', () => removeItem(entry.id));
  li.append(remove);
  return li;
}

function render(status) {
  if (!reachable) return;
  const parts = [status.paused ? 'paused' : status.playing ? 'playing' : 'idle', `${status.listeners} listening`];
  if (status.underruns) parts.push(`${status.underruns} underruns`);
  const state = $('channel-state');
  state.textContent = `${status.channel}: ${parts.join(' · ')}`;
  state.classList.toggle('warn', status.listeners === 0);
  // The channel becomes the default only once something listens to it: a mistyped name never does.
  if (status.listeners > 0 && status.channel === channel()) localStorage.setItem('ttsd.channel', status.channel);
  paused = !!status.paused;
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (typeof status.gain === 'number' && document.activeElement !== $('volume')) {
    $('volume').value = status.gain;
    $('volume-value').textContent = status.gain.toFixed(2);
  }
  const items = [];
  if (status.playing && status.current) items.push(entryItem(status.current, true));
  for (const entry of status.queue) items.push(entryItem(entry, false));
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
    // The stream ended (ttsd stopping): what it showed is stale now.
    if (!mine.signal.aborted && reachable) {
      $('channel-state').textContent = `${name}: reconnecting…`;
      $('queue').replaceChildren();
    }
  } catch (err) {
    if (mine.signal.aborted) return;
    if (err instanceof TypeError) {  // the network: ttsd is down; probe() follows again once it is back
      if (events === mine) events = null;
      unreachable();
      return;
    }
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
  $('intensity').addEventListener('input', intensityMoved);
  $('preview').addEventListener('click', playPreview);
  $('channel').addEventListener('change', follow);  // remembered once it has listeners: render
  $('speak').addEventListener('click', speak);
  $('text').addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    if (e.ctrlKey || e.metaKey) {
      speak();
    } else if (socket && !e.shiftKey) {  // speaking here: Enter ends the utterance
      e.preventDefault();
      finish();
    }
  });
  $('text').addEventListener('input', pump);
  $('live').addEventListener('change', () => ($('live').checked ? goLive() : leaveLive()));
  $('stop').addEventListener('click', stop);
  $('skip').addEventListener('click', () => control('skip'));
  $('clear').addEventListener('click', clearClicked);
  $('pause').addEventListener('click', () => control(paused ? 'resume' : 'pause'));
  $('volume').addEventListener('input', () => ($('volume-value').textContent = Number($('volume').value).toFixed(2)));
  $('volume').addEventListener('change', () => control('volume', { gain: Number($('volume').value) }));
  $('nv-save').addEventListener('click', saveVoice);
  loadVoices().then(ready, (err) => say('Voices: ' + err.message, 'error'));
  follow();
}

function ready() {
  document.body.dataset.ready = 'true';
}

start();
