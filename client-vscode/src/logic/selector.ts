// The document selector of one workspace folder's client.

/** The document filter shape vscode.languages.match accepts (pattern: a glob or a relative pattern). */
export interface FolderFilter<P> {
  scheme: 'file';
  pattern: P;
}

/** Every file under the folder, whatever characters the folder's path holds. */
export const FOLDER_GLOB = '**/*';

/**
 * The selector for every file of a folder: a relative pattern whose base is the folder itself,
 * made by `relativePattern` (vscode.RelativePattern in the extension). The folder's path never
 * goes into the glob, where `[ ] { } * ?` in a name like "proj [wip]" would be read as glob
 * syntax and match nothing (VS Code's glob docs recommend a relative pattern for this).
 */
export function folderSelector<B, P>(
  folder: B,
  relativePattern: (base: B, pattern: string) => P,
): FolderFilter<P>[] {
  return [{ scheme: 'file', pattern: relativePattern(folder, FOLDER_GLOB) }];
}
