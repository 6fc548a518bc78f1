// Offline copies of documents in IndexedDB: one database per user and
// document, so that they can be found and deleted at sign-out without
// loading the editor's code.

const dbPrefix = 'tandem/'

export function localDatabaseName(userId: string, documentId: string) {
  return `${dbPrefix}${userId}/${documentId}`
}

/** forgetLocalDocuments deletes the offline copies kept for a user (at sign
 * out, so that the next person on this computer cannot read them). */
export async function forgetLocalDocuments(userId: string): Promise<void> {
  if (!('databases' in indexedDB)) return
  try {
    const dbs = await indexedDB.databases()
    await Promise.all(
      dbs
        .filter((d) => d.name?.startsWith(`${dbPrefix}${userId}/`))
        .map(
          (d) =>
            new Promise<void>((resolve) => {
              const req = indexedDB.deleteDatabase(d.name!)
              req.onsuccess = req.onerror = req.onblocked = () => resolve()
            }),
        ),
    )
  } catch {
    // Private browsing modes may refuse; nothing is kept there anyway.
  }
}
