// Newest-first lists (`order=newest`) read their first page from this index instead of sorting
// every object of the kind: a console's "latest workloads" stays a few milliseconds however many
// the store holds.
export const name = 'newest-index';

export const sql = `
CREATE INDEX resources_kind_created_idx ON resources (kind, created_at DESC, project, name);
`;
