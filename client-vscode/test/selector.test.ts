import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FOLDER_GLOB, folderSelector } from '../src/logic/selector';

// A stand-in for vscode.RelativePattern: keeps what it was given.
const relative = (base: { fsPath: string }, pattern: string) => ({ base, pattern });

for (const name of ['my plan [wip] é', 'proj {a,b}', 'star * and what ?', 'plain']) {
  test(`a folder named "${name}" stays out of the glob`, () => {
    const folder = { fsPath: `/home/ana/${name}` };
    const [filter, ...rest] = folderSelector(folder, relative);
    assert.equal(rest.length, 0);
    assert.equal(filter.scheme, 'file');
    // the base is the folder object, not a path spliced into a glob string
    assert.equal(filter.pattern.base, folder);
    assert.equal(filter.pattern.pattern, FOLDER_GLOB);
    assert.ok(!/[[\]{}*?]/.test(filter.pattern.pattern.replace(FOLDER_GLOB, '')));
  });
}
