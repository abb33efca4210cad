"""Patti Territoriali. For now only what the access rules need: a partnership's proposal, which its editors
write as a draft and then submit. The Patti work extends this package (evaluation, programmes, plans)."""
