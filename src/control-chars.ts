/**
 * Removes terminal control sequences from text that came from documents or a model:
 * ANSI/CSI (clear screen, colours), OSC (window titles, OSC 8 hyperlinks), other ESC
 * sequences, C0 controls except tab and newline, DEL and C1 controls. A doc must never
 * drive the terminal of whoever runs `askdocs ask`. Node's `stripVTControlCharacters`
 * knows the sequences; what it leaves (a lone ESC split across two streamed deltas, a
 * bell) goes with the character class below, so no escape ever reaches a terminal.
 */
import { stripVTControlCharacters } from 'node:util';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** OSC (ESC ] or C1 0x9d) up to BEL or ST: Node's stripper leaves the payload of `ESC ]0;title BEL`. */
const OSC = /(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)/g;

export function stripControlChars(text: string): string {
  return stripVTControlCharacters(text.replace(OSC, '')).replace(CONTROL, '');
}
