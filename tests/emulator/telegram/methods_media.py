"""Bot API methods with files: sendPhoto and the other media sends, sendMediaGroup,
getFile, and the emulator's file store (uploads, generated file ids and paths)."""

from __future__ import annotations

from typing import Any

from .protocol import CAPTION_LIMIT, _as_int, _bad
from .records import Call, UploadedFile, _Handler
from .state import EmulatorState, _StoredFile

# sendX method -> (parameter / message field, kind used for file ids and paths).
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendSticker": "sticker",
    "sendVideoNote": "video_note",
}
_CAPTIONLESS = frozenset({"sticker", "video_note"})


class MediaMixin(EmulatorState):
    """Media sends and files."""

    def _media_sender(self, kind: str) -> _Handler:
        async def send(params: dict[str, Any], call: Call) -> dict[str, Any]:
            chat_id = self._target_chat(params)
            self._check_blocked(chat_id)
            source = params.get(kind)
            if source is None or source == "":
                raise _bad(f"there is no {kind} in the request")
            content: dict[str, Any] = {}
            if kind not in _CAPTIONLESS:
                content.update(
                    self._formatted(
                        params, "caption", "caption_entities", CAPTION_LIMIT, required=False
                    )
                )
            self._reply_markup(params)
            self._check_rate(chat_id)
            content[kind] = self._media_object(kind, source, params)
            self._commit_rate(chat_id)
            return self._deliver(chat_id, content, params, call)

        return send

    def _media_object(self, kind: str, source: Any, params: dict[str, Any]) -> Any:
        stored = self._input_file(kind, source)
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if stored.data is not None:
            base["file_size"] = len(stored.data)
        duration = _as_int(params, "duration", 1) or 1
        if kind == "photo":
            return [{**base, "width": 1, "height": 1}]
        if kind == "document":
            if stored.file_name:
                base["file_name"] = stored.file_name
            if stored.mime_type:
                base["mime_type"] = stored.mime_type
            return base
        if kind in ("voice", "audio"):
            return {**base, "duration": duration}
        if kind in ("video", "animation"):
            return {**base, "width": 1, "height": 1, "duration": duration}
        if kind == "video_note":
            return {**base, "length": 1, "duration": duration}
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }

    def _input_file(self, kind: str, source: Any) -> _StoredFile:
        if isinstance(source, UploadedFile):
            return self._store_file(kind, source.data, source.filename, source.content_type)
        value = str(source)
        if value.startswith("attach://"):
            raise _bad("wrong file identifier/HTTP URL specified")
        if value in self.files:
            return self.files[value]
        # An unknown file_id or an URL: Telegram would fetch it; a placeholder is enough.
        return self._store_file(kind, None, None, None)

    def _store_file(
        self, kind: str, data: bytes | None, file_name: str | None, mime_type: str | None
    ) -> _StoredFile:
        number = next(self._file_counter)
        folder = {"photo": "photos", "document": "documents", "voice": "voice"}.get(kind, kind)
        extension = {"photo": ".jpg", "voice": ".oga"}.get(kind, "")
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = _StoredFile(
            file_id=f"EMU-{kind}-{number:06d}",
            file_unique_id=f"U{number:06d}",
            path=f"{folder}/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def add_file(self, data: bytes, *, kind: str = "document", file_name: str | None = None) -> str:
        """Register downloadable bytes; return a file_id usable in getFile and sends."""
        return self._store_file(kind, data, file_name, None).file_id

    async def _send_media_group(self, params: dict[str, Any], call: Call) -> list[Any]:
        chat_id = self._target_chat(params)
        self._check_blocked(chat_id)
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise _bad("media is empty" if media in (None, "", []) else "can't parse media")
        if len(media) > 10:
            raise _bad("too many messages to send as an album")
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise _bad("can't parse InputMedia: media type is invalid")
            if item.get("media") in (None, ""):
                raise _bad("there is no media in the request")
            caption = self._formatted(
                item, "caption", "caption_entities", CAPTION_LIMIT, required=False
            )
            prepared.append((item, caption))
        self._check_rate(chat_id)
        self._commit_rate(chat_id)
        group_id = str(10**17 + next(self._media_groups))
        messages = []
        for item, caption in prepared:
            content = {
                "media_group_id": group_id,
                **caption,
                item["type"]: self._media_object(item["type"], item["media"], item),
            }
            messages.append(self._deliver(chat_id, content, {}, call))
        return messages

    async def _get_file(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        result: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.path,
        }
        if stored.data is not None:
            result["file_size"] = len(stored.data)
        return result
