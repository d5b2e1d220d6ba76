/** Who the signed-in token is: its id and role. */
import { gql } from './Document.ts';

export type Role = 'VIEWER' | 'OPERATOR' | 'ADMIN';

export const meQuery = gql<{ me: { tokenId: string; role: Role } }>('query Me { me { tokenId role } }');
