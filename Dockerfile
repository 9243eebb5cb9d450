# The review screen, the review API and the batch worker: one image, three commands (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REVIEWER_DATA_DIR=/data \
    REVIEWER_MODEL_CACHE=/opt/reviewer/models

WORKDIR /app

# torch first, pinned and CPU-only: an unpinned torch pulls the CUDA build (gigabytes).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml constraints.txt README.md* ./
COPY reviewer ./reviewer
COPY prompts ./prompts
COPY corpus ./corpus
COPY ui ./ui
# Editable on purpose: prompts/ and corpus/ (guidelines, taxonomy) are found beside the package
# (settings.PROJECT_ROOT), so the package must stay in /app rather than move to site-packages.
# With the postgres extra, so REVIEWER_DATABASE_URL works in the image.
RUN pip install -e ".[postgres]" -c constraints.txt

# Distil the static embedding model at build time, so no container spends its first minute on it.
RUN python -c "from reviewer.embeddings import get_embedder; from reviewer.settings import Settings; \
get_embedder(Settings(data_dir='/tmp/warm')).embed(['warm up'])" && rm -rf /tmp/warm

# Not root. The folders exist in the image so new named volumes mounted there belong to this user.
RUN useradd --create-home --uid 10001 reviewer \
    && mkdir -p /data /shared/drafts /shared/reviews \
    && chown -R reviewer:reviewer /data /shared /opt/reviewer
USER reviewer

EXPOSE 8501 8080
CMD ["streamlit", "run", "ui/app.py", "--server.port", "8501", "--server.address", "0.0.0.0", \
     "--server.headless", "true", "--browser.gatherUsageStats", "false"]
