import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceLabel } from '../src/engine/source-label.ts';

describe('source labels', () => {
  const source = (title: string, headingPath: string[]) => ({ title, path: 'CHANGELOG.md', headingPath });

  it('name the headings down to the section, so repeated subheadings tell apart; a section under the title alone stays short', () => {
    // Was "Changelog › Fixed" for every version's fixes.
    assert.equal(
      sourceLabel(source('Changelog', ['Changelog', '[2.0.0] - 2024-06-10', 'Fixed'])).label,
      'Changelog › [2.0.0] - 2024-06-10 › Fixed',
    );
    assert.equal(sourceLabel(source('Product FAQ', ['Product FAQ', 'Is Milvus scalable?'])).label, 'Product FAQ › Is Milvus scalable?');
    // A front-matter title with no top heading, and the page's own heading: as before.
    assert.equal(sourceLabel(source('Projects API', ['Archive a project'])).label, 'Projects API › Archive a project');
    assert.deepEqual(sourceLabel(source('Changelog', ['Changelog'])), { label: 'Changelog', title: 'Changelog', heading: undefined });
    // The page's top heading in other words than its front-matter title names the page too.
    assert.equal(
      sourceLabel(source('Scale Dependencies', ['Scale Milvus Dependencies', 'Increase resources per Pulsar bookie pod'])).label,
      'Scale Dependencies › Increase resources per Pulsar bookie pod',
    );
    // No top heading (a Docusaurus page titled in front matter): the section's parent is kept.
    assert.equal(sourceLabel(source('Changelog', ['[2.0.0] - 2024-06-10', 'Fixed'])).label, 'Changelog › [2.0.0] - 2024-06-10 › Fixed');
    // A heading that only repeats the one above it says nothing new.
    assert.equal(sourceLabel(source('Chunk Cache', ['Chunk Cache', 'Chunk Cache', 'Enable it'])).label, 'Chunk Cache › Enable it');
  });

  it('too long, the headings between the title and the section give way first, then the end', () => {
    const deep = source('Configure Dependencies', ['Configure Dependencies', 'Configure Pulsar', 'Internal Pulsar', 'Example']);
    assert.equal(sourceLabel(deep).label, 'Configure Dependencies › Configure Pulsar › Internal Pulsar › Example');
    assert.equal(sourceLabel(deep, 60).label, 'Configure Dependencies › … › Internal Pulsar › Example');
    assert.equal(sourceLabel(deep, 40).label, 'Configure Dependencies › … › Example');
    assert.equal(sourceLabel(deep).heading, 'Example');
  });
});
