ALTER TABLE access_log_subjects
    ADD CONSTRAINT access_log_subjects_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES access_log (id);
