export async function exportDirectory(..._a: unknown[]): Promise<{ services: unknown[] }> { return { services: [] }; }
export async function importDirectory(..._a: unknown[]): Promise<{ organisations: number; services: number }> { return { organisations: 0, services: 0 }; }
