-- A timeline entry's detail as a catalog message (key and arguments, JSON), so the case page
-- words it in the reader's language (issue 8). `detail` keeps the Swedish text as before (the
-- exports and older readers); entries written before this have no message and show their text.
ALTER TABLE case_events ADD COLUMN detail_msg TEXT;
